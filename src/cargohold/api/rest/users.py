"""``/users`` and ``/me``: accounts, for administrators and for each user itself."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import scopes_wire, user_wire
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.identity import CallerToken, Me, UserCreate, UserUpdate


class UserEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._identity = registry.identity

    async def me(self, request: Request, caller: Principal | None) -> Response:
        account = await self._identity.me(caller)
        found = account.token
        token = None if found is None else CallerToken(found.id, scopes_wire(found.scopes))
        shown = msgspec.structs.asdict(user_wire(account.user, account.groups))
        return WireResponse(Me(**shown, token=token))

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        rows = await self._identity.users(caller, after_key(after), limit + 1)
        return paged(request, rows, limit, lambda r: user_wire(*r), lambda r: Key(r[0].name))

    async def get(self, request: Request, caller: Principal | None) -> Response:
        name = request.path_params["name"]
        record = await self._identity.get_user(caller, name)
        return WireResponse(user_wire(record, await self._identity.groups_of(caller, name)))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, UserCreate)
        record = await self._identity.create_user(
            Actor(caller, client_address(request)),
            body.string("name", required=True),
            body.optional_string("password"),
            admin=body.boolean("admin", False),
            service=body.boolean("service", False),
            email=body.optional_string("email"),
        )
        location = f"/api/v1/users/{record.name}"
        return WireResponse(user_wire(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        name = request.path_params["name"]
        body = await Body.read(request, UserUpdate)
        record = await self._identity.update_user(
            Actor(caller, client_address(request)),
            name,
            password=body.optional_string("password"),
            admin=body.optional_boolean("admin"),
            email=body.optional_string("email"),
        )
        return WireResponse(user_wire(record, await self._identity.groups_of(caller, name)))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        await self._identity.delete_user(
            Actor(caller, client_address(request)), request.path_params["name"]
        )
        return Response(b"", 204)


__all__ = ["UserEndpoints"]
