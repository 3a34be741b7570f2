"""``/groups`` and ``/permissions``: who belongs together, and who may do what where."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import group_wire, permission_wire
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.identity import GroupCreate, GroupUpdate, PermissionCreate


class GroupEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._identity = registry.identity

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        rows = await self._identity.groups(caller, after_key(after), limit + 1)
        return paged(request, rows, limit, group_wire, lambda r: Key(r.name))

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._identity.get_group(caller, request.path_params["name"])
        return WireResponse(group_wire(record))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, GroupCreate)
        record = await self._identity.create_group(
            Actor(caller, client_address(request)),
            body.string("name", required=True),
            body.string("description", ""),
            body.strings("members", []),
        )
        location = f"/api/v1/groups/{record.name}"
        return WireResponse(group_wire(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, GroupUpdate)
        record = await self._identity.update_group(
            Actor(caller, client_address(request)),
            request.path_params["name"],
            description=body.optional_string("description"),
            members=body.optional_strings("members"),
            add=body.strings("add", []),
            remove=body.strings("remove", []),
        )
        return WireResponse(group_wire(record))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        await self._identity.delete_group(
            Actor(caller, client_address(request)), request.path_params["name"]
        )
        return Response(b"", 204)


class PermissionEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._identity = registry.identity

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        principal = request.query_params.get("principal")
        rows = await self._identity.permissions(caller, principal, after_key(after), limit + 1)
        return paged(request, rows, limit, permission_wire, lambda r: Key(r.id))

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._identity.get_permission(caller, request.path_params["id"])
        return WireResponse(permission_wire(record))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, PermissionCreate)
        record = await self._identity.grant(
            Actor(caller, client_address(request)),
            body.string("principal", required=True),
            body.strings("repositories"),
            body.strings("actions"),
        )
        location = f"/api/v1/permissions/{record.id}"
        return WireResponse(permission_wire(record), 201, {"Location": location})

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        await self._identity.revoke(
            Actor(caller, client_address(request)), request.path_params["id"]
        )
        return Response(b"", 204)


__all__ = ["GroupEndpoints", "PermissionEndpoints"]
