"""``/builds``: CI build info (record, list, show with its status history) and the promotion
of a whole build, all or nothing."""

from __future__ import annotations

from typing import cast

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import BUILD_CURSOR, Position, Seconds, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.core.errors import BadRequest
from cargohold.core.jsondoc import DOCUMENT_LIMITS
from cargohold.core.times import moment
from cargohold.records.lifecycle import BuildPosition, BuildStatusRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.lifecycle.build_promotion import BuildPromoted, PromotionRequest
from cargohold.registry.lifecycle.builds import (
    Build,
    Module,
    build_path,
    parse_build,
    parse_started,
)
from cargohold.registry.registry import Registry
from cargohold.wire import lifecycle as wire
from cargohold.wire.base import UNSET


class After(Position, frozen=True):
    """Where a page of builds (newest first) ends: its last one's start, name and number."""

    started: Seconds
    name: str
    number: str


def module_wire(module: Module) -> wire.BuildModule:
    return wire.BuildModule(
        id=module.id,
        artifacts=[
            wire.BuildArtifact(
                type=cast(wire.ArtifactType, a.type),
                repository=a.repository,
                name=a.name,
                digest=a.digest,
                tag=a.tag if a.tag else UNSET,
            )
            for a in module.artifacts
        ],
        dependencies=[wire.BuildDependency(d.id, d.digest) for d in module.dependencies],
    )


def build_wire(build: Build) -> wire.Build:
    info = build.info
    return wire.Build(
        name=info.name,
        number=info.number,
        started=moment(info.started),
        url=info.url,
        properties=info.properties,
        modules=[module_wire(m) for m in info.modules],
        created=moment(build.created),
        created_by=build.created_by,
    )


def status_wire(status: BuildStatusRecord) -> wire.BuildStatus:
    return wire.BuildStatus(
        time=moment(status.time),
        status=status.status,
        comment=status.comment,
        repository=status.repository,
        principal=status.principal,
    )


def detail_wire(build: Build) -> wire.BuildDetail:
    shown = msgspec.structs.asdict(build_wire(build))
    return wire.BuildDetail(**shown, statuses=[status_wire(s) for s in build.statuses])


def promoted_wire(promoted: BuildPromoted, target: str) -> wire.BuildPromotionResult:
    return wire.BuildPromotionResult(
        name=promoted.name,
        number=promoted.number,
        status=promoted.status,
        target_repo=target,
        copy=promoted.copy,
        dry_run=promoted.dry_run,
        artifacts=[
            wire.PromotedArtifact(
                type=cast(wire.ArtifactType, a.type),
                repository=a.repository,
                name=a.name,
                digest=a.digest,
                tags=a.tags,
            )
            for a in promoted.artifacts
        ],
    )


class BuildEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._builds = registry.builds
        self._promotions = registry.build_promotions

    async def put(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.BuildCreate, DOCUMENT_LIMITS)
        info = parse_build(
            body.string("name", required=True),
            body.string("number", required=True),
            parse_started(body.string("started", required=True)),
            body.string("url", ""),
            body.mapping("properties") if body.has("properties") else {},
            body.objects("modules") or [],
        )
        build, created = await self._builds.put(Actor(caller, client_address(request)), info)
        if not created:
            return WireResponse(build_wire(build))
        location = f"/api/v1/{build_path(info.name, info.number)}"
        return WireResponse(build_wire(build), 201, {"Location": location})

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, After, BUILD_CURSOR)
        position = None if after is None else BuildPosition(after.started, after.name, after.number)
        name = request.query_params.get("name") or None
        builds = await self._builds.page(caller, name, position, limit + 1)
        return paged(request, builds, limit, build_wire, _after)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        build = await self._builds.get(
            caller, request.path_params["name"], request.path_params["number"]
        )
        return WireResponse(detail_wire(build))

    async def promote(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.BuildPromotion)
        target = body.string("targetRepo", required=True)
        targets = body.mapping("targetRepos") if body.has("targetRepos") else None
        if targets is not None and not all(isinstance(v, str) for v in targets.values()):
            raise BadRequest("'targetRepos' maps artifact types to repository keys (strings)")
        promoted = await self._promotions.promote(
            Actor(caller, client_address(request)),
            request.path_params["name"],
            request.path_params["number"],
            PromotionRequest(
                target_repository=target,
                status=body.string("status", "promoted"),
                comment=body.string("comment", "")[:2000],
                copy=body.boolean("copy", False),
                dry_run=body.boolean("dryRun", False),
                targets=targets,
                properties=body.mapping("properties") if body.has("properties") else None,
            ),
        )
        return WireResponse(promoted_wire(promoted, target))


def _after(build: Build) -> After:
    return After(build.info.started, build.info.name, build.info.number)


__all__ = ["BuildEndpoints", "build_wire", "detail_wire", "promoted_wire", "status_wire"]
