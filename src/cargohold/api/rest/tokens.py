"""``/tokens``: API tokens, and ``/system/token-keys/rotate`` for the bearer signing key."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import token_wire
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.identity.user_tokens import TokenOrder
from cargohold.registry.registry import Registry
from cargohold.wire.identity import NewToken, TokenCreate
from cargohold.wire.system import KeyRotation


class TokenEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._tokens = registry.user_tokens
        self._keys = registry.key_rotation

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        owner = request.query_params.get("owner")
        rows = await self._tokens.page(caller, owner, after_key(after), limit + 1)
        return paged(request, rows, limit, token_wire, lambda r: Key(r.id))

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._tokens.get(caller, request.path_params["id"])
        return WireResponse(token_wire(record))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        actor = Actor(caller, client_address(request))
        await self._tokens.revoke(actor, request.path_params["id"])
        return Response(b"", 204)

    async def create(self, request: Request, caller: Principal | None) -> Response:
        async def read_order() -> TokenOrder:
            body = await Body.read(request, TokenCreate)
            return TokenOrder(
                owner=body.optional_string("owner"),
                kind=body.string("kind", "api"),
                description=body.string("description", ""),
                scopes=body.objects("scopes"),
                expires_in=body.optional_number("expires_in"),
            )

        new = await self._tokens.create(Actor(caller, client_address(request)), read_order)
        shown = msgspec.structs.asdict(token_wire(new.record))
        location = f"/api/v1/tokens/{new.record.id}"
        headers = {"Location": location, "Cache-Control": "no-store"}
        return WireResponse(NewToken(**shown, token=new.secret), 201, headers)

    async def rotate_key(self, request: Request, caller: Principal | None) -> Response:
        key = await self._keys.rotate(Actor(caller, client_address(request)))
        return WireResponse(KeyRotation(key.kid))


__all__ = ["TokenEndpoints"]
