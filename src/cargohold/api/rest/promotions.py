"""``/docker/{repoKey}/promote`` (shaped like Artifactory's, so pipelines can switch) and
``/promotions``, the record of every promotion."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import page_params, page_response
from cargohold.core.errors import BadRequest
from cargohold.records.lifecycle import PromotionRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.lifecycle.engine import promotion_data
from cargohold.registry.lifecycle.promotion import DockerPromotion, PromotionFilter
from cargohold.registry.registry import Registry

FIELDS = (
    "targetRepo",
    "dockerRepository",
    "targetDockerRepository",
    "tag",
    "targetTag",
    "copy",
    "dryRun",
    "properties",
    "comment",
)


def promotion_json(record: PromotionRecord) -> dict[str, Any]:
    return promotion_data(record)


class PromotionEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def docker(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, FIELDS)
        properties = body.mapping("properties") if body.has("properties") else None
        promoted = await self._registry.promotions.promote_docker(
            Actor(caller, client_address(request)),
            DockerPromotion(
                source_repository=request.path_params["key"],
                target_repository=body.string("targetRepo", required=True),
                image=body.string("dockerRepository", required=True),
                target_image=body.optional_string("targetDockerRepository"),
                tag=body.optional_string("tag"),
                target_tag=body.optional_string("targetTag"),
                copy=body.boolean("copy", False),
                dry_run=body.boolean("dryRun", False),
                properties=properties,
                comment=body.string("comment", "")[:2000],
            ),
        )
        first = promoted.records[0]
        return JSONResponse(
            {
                "sourceRepo": first.source_repository,
                "targetRepo": first.target_repository,
                "dockerRepository": first.source,
                "targetDockerRepository": first.target,
                "tags": promoted.tags,
                "copy": first.copy,
                "dryRun": first.dry_run,
                "promotions": [promotion_json(r) for r in promoted.records],
                "messages": [
                    {"level": "INFO", "message": f"{r.message}: {r.digest} as {', '.join(r.tags)}"}
                    for r in promoted.records
                ],
            }
        )

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_user(caller)
        limit, after = page_params(request)
        before = None
        if after is not None:
            moment, _, last_id = after.partition("~")
            try:
                before = (float(moment), last_id)
            except ValueError as exc:
                raise BadRequest("after is not a cursor this server handed out") from exc
        query = request.query_params
        where = PromotionFilter(
            digest=query.get("digest"),
            image=query.get("image"),
            repository=query.get("repository"),
        )
        access = self._registry.access
        readable = [
            r.key
            for r in await self._registry.repositories.all()
            if access.allows(caller, r, Action.READ)
        ]
        rows = await self._registry.promotions.page(where, readable, before, limit + 1)
        return page_response(request, rows, limit, promotion_json, lambda r: f"{r.time!r}~{r.id}")


__all__ = ["PromotionEndpoints", "promotion_json"]
