"""``/docker/{repoKey}/promote`` (shaped like Artifactory's, so pipelines can switch) and
``/promotions``, the record of every promotion."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Position, Seconds, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.lifecycle.engine import promotion_wire
from cargohold.registry.lifecycle.promotion import DockerPromotion, PromotionFilter
from cargohold.registry.registry import Registry
from cargohold.wire import lifecycle as wire


class After(Position, frozen=True):
    """Where a page of promotions (newest first) ends: its last one's time and id."""

    time: Seconds
    id: str


class PromotionEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def docker(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.DockerPromotion)
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
        return WireResponse(
            wire.PromotionResult(
                source_repo=first.source_repository,
                target_repo=first.target_repository,
                docker_repository=first.source,
                target_docker_repository=first.target,
                tags=promoted.tags,
                copy=first.copy,
                dry_run=first.dry_run,
                promotions=[promotion_wire(r) for r in promoted.records],
                messages=[
                    wire.Message("INFO", f"{r.message}: {r.digest} as {', '.join(r.tags)}")
                    for r in promoted.records
                ],
            )
        )

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, After)
        before = None if after is None else (after.time, after.id)
        query = request.query_params
        where = PromotionFilter(
            digest=query.get("digest"),
            image=query.get("image"),
            repository=query.get("repository"),
        )
        rows = await self._registry.promotions.page(caller, where, before, limit + 1)
        return paged(request, rows, limit, promotion_wire, lambda r: After(r.time, r.id))


__all__ = ["PromotionEndpoints"]
