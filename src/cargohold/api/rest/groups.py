"""``/groups`` and ``/permissions``: who belongs together, and who may do what where."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import page_params, page_response
from cargohold.api.rest.views import group_json, permission_json
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry


class GroupEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._access = registry.access
        self._identity = registry.identity

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        limit, after = page_params(request)
        rows = await self._identity.groups(after, limit + 1)
        return page_response(request, rows, limit, group_json, lambda r: r.name)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        return JSONResponse(group_json(await self._identity.get_group(request.path_params["name"])))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, ("name", "description", "members"))
        record = await self._identity.create_group(
            body.string("name", required=True),
            body.string("description", ""),
            body.strings("members", []),
        )
        location = f"/api/v1/groups/{record.name}"
        return JSONResponse(group_json(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, ("description", "members", "add", "remove"))
        record = await self._identity.update_group(
            request.path_params["name"],
            description=body.optional_string("description"),
            members=body.optional_strings("members"),
            add=body.strings("add", []),
            remove=body.strings("remove", []),
        )
        return JSONResponse(group_json(record))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._identity.delete_group(request.path_params["name"])
        return Response(b"", 204)


class PermissionEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._access = registry.access
        self._identity = registry.identity

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        limit, after = page_params(request)
        principal = request.query_params.get("principal")
        rows = await self._identity.permissions(principal, after, limit + 1)
        return page_response(request, rows, limit, permission_json, lambda r: r.id)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        record = await self._identity.get_permission(request.path_params["id"])
        return JSONResponse(permission_json(record))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, ("principal", "repositories", "actions"))
        record = await self._identity.grant(
            body.string("principal", required=True),
            body.strings("repositories"),
            body.strings("actions"),
        )
        location = f"/api/v1/permissions/{record.id}"
        return JSONResponse(permission_json(record), 201, {"Location": location})

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._identity.revoke(request.path_params["id"])
        return Response(b"", 204)


__all__ = ["GroupEndpoints", "PermissionEndpoints"]
