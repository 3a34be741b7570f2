"""``/packages/{key}``: the packages of a PyPI or npm repository, their versions with files,
dist-tags and properties, yanking (npm: deprecation), deleting a version, and promoting a
version to another repository of its format."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.core.digest import Digest
from cargohold.core.errors import Denied, ResourceUnknown
from cargohold.core.times import moment
from cargohold.records.packages import PackageFile
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.lifecycle.engine import promotion_wire
from cargohold.registry.lifecycle.package_promotion import PackagePromotion
from cargohold.registry.packages.files import settings_of
from cargohold.registry.packages.names import package_name
from cargohold.registry.registry import Registry
from cargohold.wire import lifecycle
from cargohold.wire import packages as wire


def package_file_wire(found: PackageFile) -> wire.PackageFileInfo:
    return wire.PackageFileInfo(
        filename=found.filename,
        path=found.file.path,
        size=found.file.size,
        sha256=Digest.parse(found.file.digest).hex,
        created=moment(found.file.created_at),
        created_by=found.file.created_by,
    )


class PackageEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._packages = registry.packages

    async def _named(
        self, request: Request, caller: Principal | None, action: Action
    ) -> tuple[RepositoryRecord, str]:
        repository = await self._packages.any_allowed(caller, request.path_params["key"], action)
        return repository, package_name(repository.format, request.path_params["name"])

    async def list(self, request: Request, caller: Principal | None) -> Response:
        key = request.path_params["key"]
        await self._packages.any_allowed(caller, key, Action.READ)
        limit, after = page_request(request, Key)
        names = await self._packages.names(key, after_key(after), limit + 1)
        return paged(request, names, limit, wire.PackageSummary, Key)

    async def versions(self, request: Request, caller: Principal | None) -> Response:
        repository, name = await self._named(request, caller, Action.READ)
        key = repository.key
        versions = await self._packages.versions(key, name)
        if not versions:
            raise ResourceUnknown(f"no package {name} in repository {key!r}", {"name": name})
        files = await self._packages.files(key, name)
        tags = await self._packages.tags(key, name)
        shown = []
        for found in versions:
            values = await self._packages.properties(key, name, found.version)
            shown.append(
                wire.PackageVersionInfo(
                    version=found.version,
                    created=moment(found.created_at),
                    created_by=found.created_by,
                    yanked=found.yanked,
                    tags=[t.tag for t in tags if t.version == found.version],
                    files=[package_file_wire(f) for f in files if f.version == found.version],
                    properties={k: list(v) for k, v in values.items()},
                )
            )
        return WireResponse(wire.PackageVersions(key, repository.format, name, shown))

    async def yank(self, request: Request, caller: Principal | None) -> Response:
        repository, name = await self._named(request, caller, Action.WRITE)
        version = request.path_params["version"]
        if request.method == "DELETE":
            reason = None
        else:
            body = await Body.read(request, wire.Yank)
            reason = body.string("reason", "")[:2000]
        actor = Actor(caller, client_address(request))
        if not await self._registry.package_changes.yank(
            actor, repository.key, name, {version: reason}
        ):
            raise ResourceUnknown(
                f"no version {version} of package {name} in repository {repository.key!r}"
            )
        return WireResponse(wire.Yanked(repository.key, name, version, reason))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        repository, name = await self._named(request, caller, Action.DELETE)
        if not settings_of(repository).unpublish:
            raise Denied(
                f"repository {repository.key!r} does not allow deleting package versions "
                f"(setting allowUnpublish); an administrator may change that with "
                f"`cargohold repo update {repository.key} --allow-unpublish`",
                {"repository": repository.key, "setting": "allowUnpublish"},
            )
        version = request.path_params["version"]
        actor = Actor(caller, client_address(request))
        gone = await self._registry.package_changes.delete(actor, repository.key, name, version)
        return WireResponse(wire.PackagesDeleted(repository.key, name, [v.version for v in gone]))

    async def promote(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.PackagePromotion)
        properties = body.mapping("properties") if body.has("properties") else None
        promoted = await self._registry.package_promotions.promote(
            Actor(caller, client_address(request)),
            PackagePromotion(
                source_repository=request.path_params["key"],
                target_repository=body.string("targetRepo", required=True),
                name=body.string("name", required=True),
                version=body.string("version", required=True),
                copy=body.boolean("copy", True),
                dry_run=body.boolean("dryRun", False),
                properties=properties,
                comment=body.string("comment", "")[:2000],
            ),
        )
        record, transfer = promoted.record, promoted.transfer
        verb = "copied" if record.copy else "moved"
        what = f"{record.source} {verb} to {record.target_repository}"
        if record.dry_run:
            what = f"{record.source} would be {verb} to {record.target_repository} (dry run)"
        elif transfer.unchanged:
            what = (
                f"{record.source} is in {record.target_repository} already, with the same "
                "files: "
                + ("nothing to copy" if record.copy else f"removed from {record.source_repository}")
                + "; recorded"
            )
        return WireResponse(
            wire.PackagePromotionResult(
                source_repo=record.source_repository,
                target_repo=record.target_repository,
                name=transfer.version.name,
                version=transfer.version.version,
                copy=record.copy,
                dry_run=record.dry_run,
                files=[package_file_wire(f) for f in transfer.files],
                promotions=[promotion_wire(record)],
                messages=[lifecycle.Message("INFO", what)],
            )
        )


__all__ = ["PackageEndpoints", "package_file_wire"]
