"""``/builds``: CI build info (record, list, show with its status history) and the promotion
of a whole build, all or nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import decode_cursor, encode_cursor, page_params, page_response
from cargohold.api.rest.views import timestamp
from cargohold.core.errors import BadRequest
from cargohold.core.jsondoc import DOCUMENT_LIMITS
from cargohold.records.lifecycle import BuildPosition, BuildStatusRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.lifecycle.build_promotion import BuildPromoted, PromotionRequest
from cargohold.registry.lifecycle.builds import Build, parse_build, parse_started
from cargohold.registry.registry import Registry

FIELDS = ("name", "number", "started", "url", "properties", "modules")
PROMOTE_FIELDS = (
    "targetRepo",
    "targetRepos",
    "status",
    "comment",
    "copy",
    "dryRun",
    "properties",
)
MAX_CURSOR = 2048


def build_json(build: Build) -> dict[str, Any]:
    doc = build.info.document()
    doc["started"] = timestamp(build.info.started)
    return doc | {"created": timestamp(build.created), "createdBy": build.created_by}


def status_json(status: BuildStatusRecord) -> dict[str, Any]:
    return {
        "time": timestamp(status.time),
        "status": status.status,
        "comment": status.comment,
        "repository": status.repository,
        "principal": status.principal,
    }


def promoted_json(promoted: BuildPromoted, target: str) -> dict[str, Any]:
    return {
        "name": promoted.name,
        "number": promoted.number,
        "status": promoted.status,
        "targetRepo": target,
        "copy": promoted.copy,
        "dryRun": promoted.dry_run,
        "artifacts": [
            {
                "type": a.type,
                "repository": a.repository,
                "name": a.name,
                "digest": a.digest,
                "tags": list(a.tags),
            }
            for a in promoted.artifacts
        ],
    }


def cursor_of(build: Build) -> str:
    return encode_cursor([build.info.started, build.info.name, build.info.number])


def position_of(cursor: str) -> BuildPosition:
    started, name, number = decode_cursor(cursor, float, str, str)
    return BuildPosition(float(started), name, number)


class BuildEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._builds = registry.builds
        self._promotions = registry.build_promotions

    async def put(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, FIELDS, DOCUMENT_LIMITS)
        info = parse_build(
            body.string("name", required=True),
            body.string("number", required=True),
            parse_started(body.string("started", required=True)),
            body.string("url", ""),
            body.mapping("properties") if body.has("properties") else {},
            body.objects("modules") or [],
        )
        build, created = await self._builds.put(caller, info)
        if not created:
            return JSONResponse(build_json(build))
        location = f"/api/v1/builds/{quote(info.name, safe='')}/{quote(info.number, safe='')}"
        return JSONResponse(build_json(build), 201, {"Location": location})

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_params(request, max_cursor=MAX_CURSOR)
        position = position_of(after) if after is not None else None
        name = request.query_params.get("name") or None
        builds = await self._builds.page(caller, name, position, limit + 1)
        return page_response(request, builds, limit, build_json, cursor_of)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        build = await self._builds.get(
            caller, request.path_params["name"], request.path_params["number"]
        )
        return JSONResponse(
            build_json(build) | {"statuses": [status_json(s) for s in build.statuses]}
        )

    async def promote(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, PROMOTE_FIELDS)
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
        return JSONResponse(promoted_json(promoted, target))


__all__ = ["BuildEndpoints", "build_json", "promoted_json", "status_json"]
