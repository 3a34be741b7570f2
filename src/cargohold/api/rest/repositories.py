"""``/repositories``: create, list, show, change and delete repositories."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, page_of, page_request, paged
from cargohold.api.rest.repository_kinds import (
    new_remote,
    new_virtual,
    package_change,
    remote_change,
    virtual_change,
)
from cargohold.api.rest.responses import WireResponse
from cargohold.core.errors import BadRequest
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.packages.files import PACKAGE_FORMATS, settings_of
from cargohold.registry.registry import Registry
from cargohold.registry.repositories import KEEP
from cargohold.wire.repositories import (
    Repository,
    RepositoryCreate,
    RepositoryDeletion,
    RepositoryUpdate,
)


def repository_wire(record: RepositoryRecord, used_bytes: int = 0) -> Repository:
    """The repository as the API shows it: a remote one with its upstream settings (whether
    it has a password, never the password), a virtual one with its members (and, for PyPI
    and npm, whether it trusts remote names), a local PyPI or npm one with what it allows."""
    shown = Repository(
        key=record.key,
        format=record.format,
        kind=record.kind,  # type: ignore[arg-type]  # one of KINDS, checked on create
        anonymous_read=record.anonymous_read,
        immutable_tags=record.immutable_tags,
        description=record.description,
        quota_bytes=record.quota_bytes,
        used_bytes=used_bytes,
    )
    if record.remote is not None:
        remote = record.remote
        shown = msgspec.structs.replace(
            shown,
            upstream=remote.upstream,
            username=remote.username,
            has_password=remote.password is not None,
            verify_tls=remote.verify_tls,
            revalidate_seconds=remote.revalidate_seconds,
            timeout_seconds=remote.timeout_seconds,
            offline=remote.offline,
        )
    if record.virtual is not None:
        shown = msgspec.structs.replace(
            shown,
            members=list(record.virtual.members),
            default_deploy_repo=record.virtual.default_deploy,
        )
        if record.format in PACKAGE_FORMATS:
            shown = msgspec.structs.replace(
                shown, trust_remote_names=record.virtual.trust_remote_names
            )
    if record.format in PACKAGE_FORMATS and record.kind == "local":
        allows = settings_of(record)
        shown = msgspec.structs.replace(
            shown, allow_overwrite=allows.overwrite, allow_unpublish=allows.unpublish
        )
    return shown


class RepositoryEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._repositories = registry.repository_admin

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        visible = await self._repositories.visible(caller)
        rows = page_of(visible, after, limit, lambda r: r.key)
        used = await self._repositories.usage(rows[:limit])
        return paged(
            request,
            rows,
            limit,
            lambda r: repository_wire(r, used.get(r.key, 0)),
            lambda r: Key(r.key),
        )

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._repositories.get(caller, request.path_params["key"])
        used = await self._repositories.usage([record])
        return WireResponse(repository_wire(record, used[record.key]))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, RepositoryCreate)
        key = body.string("key", required=True)
        kind = body.string("kind", "local")
        record = await self._repositories.create(
            Actor(caller, client_address(request)),
            key,
            format=body.string("format", "docker"),
            kind=kind,
            anonymous_read=body.boolean("anonymousRead", False),
            description=body.string("description", ""),
            immutable_tags=body.boolean("immutableTags", False),
            quota_bytes=body.byte_limit("quotaBytes"),
            remote=new_remote(body, key, kind),
            virtual=new_virtual(body, key, kind),
            packages=package_change(body),
            trust_remote_names=body.optional_boolean("trustRemoteNames"),
        )
        location = f"/api/v1/repositories/{record.key}"
        return WireResponse(repository_wire(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, RepositoryUpdate)
        updated = await self._repositories.update(
            Actor(caller, client_address(request)),
            request.path_params["key"],
            anonymous_read=body.optional_boolean("anonymousRead"),
            description=body.optional_string("description"),
            immutable_tags=body.optional_boolean("immutableTags"),
            quota_bytes=body.byte_limit("quotaBytes") if body.present("quotaBytes") else KEEP,
            remote=remote_change(body),
            virtual=virtual_change(body),
            packages=package_change(body),
        )
        used = await self._repositories.usage([updated])
        return WireResponse(repository_wire(updated, used[updated.key]))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        """``?force=true`` to delete one that holds artifacts, ``&confirm=KEY`` too for one
        with immutable tags."""
        key = request.path_params["key"]
        held = await self._repositories.delete(
            Actor(caller, client_address(request)),
            key,
            force=query_flag(request, "force"),
            confirm=request.query_params.get("confirm"),
        )
        return WireResponse(RepositoryDeletion(key, held.tags, held.manifests, held.files))


def query_flag(request: Request, name: str) -> bool:
    """A true/false query parameter (absent: false)."""
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be true or false, not {value[:20]!r}")
    return value in ("true", "1")


__all__ = ["RepositoryEndpoints", "query_flag", "repository_wire"]
