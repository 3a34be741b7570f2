"""``/repositories``: create, list, show, change and delete repositories."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import page_of, page_params, page_response
from cargohold.api.rest.views import repository_json
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.registry import Registry


class RepositoryEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_params(request)
        access = self._registry.access
        visible = [
            r
            for r in await self._registry.repositories.all()
            if access.allows(caller, r, Action.READ)
        ]
        rows = page_of(visible, after, limit, lambda r: r.key)
        return page_response(request, rows, limit, repository_json, lambda r: r.key)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._registry.repositories.get(request.path_params["key"])
        self._registry.access.check(caller, record, Action.READ)
        return JSONResponse(repository_json(record))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        body = await Body.read(
            request, ("key", "format", "kind", "description", "anonymousRead", "immutableTags")
        )
        record = await self._registry.repositories.create(
            body.string("key", required=True),
            format=body.string("format", "docker"),
            kind=body.string("kind", "local"),
            anonymous_read=body.boolean("anonymousRead", False),
            description=body.string("description", ""),
            immutable_tags=body.boolean("immutableTags", False),
        )
        location = f"/api/v1/repositories/{record.key}"
        return JSONResponse(repository_json(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        key = request.path_params["key"]
        record = await self._registry.repositories.get(key)
        self._registry.access.check(caller, record, Action.MANAGE)
        body = await Body.read(request, ("anonymousRead", "description", "immutableTags"))
        updated = await self._registry.repositories.update(
            key,
            anonymous_read=body.optional_boolean("anonymousRead"),
            description=body.optional_string("description"),
            immutable_tags=body.optional_boolean("immutableTags"),
        )
        return JSONResponse(repository_json(updated))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        await self._registry.repositories.delete(request.path_params["key"])
        return Response(b"", 204)


__all__ = ["RepositoryEndpoints"]
