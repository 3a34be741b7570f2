"""``/tokens``: API tokens, and ``/system/token-keys/rotate`` for the bearer signing key."""

from __future__ import annotations

import msgspec
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import token_wire
from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.records.identity import TokenRecord
from cargohold.registry.identity.permissions import (
    Grant,
    Principal,
    parse_actions,
    validate_pattern,
)
from cargohold.registry.registry import Registry
from cargohold.wire.identity import NewToken, TokenCreate
from cargohold.wire.system import KeyRotation

KINDS = ("api", "cli")


class TokenEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._access = registry.access
        self._tokens = registry.tokens

    async def list(self, request: Request, caller: Principal | None) -> Response:
        user = self._access.require_user(caller)
        owner = request.query_params.get("owner") or user.name
        if owner != user.name:
            self._access.require_admin(caller)
        limit, after = page_request(request, Key)
        rows = await self._tokens.page(owner, after_key(after), limit + 1)
        return paged(request, rows, limit, token_wire, lambda r: Key(r.id))

    async def _visible(self, request: Request, caller: Principal | None) -> TokenRecord:
        user = self._access.require_user(caller)
        record = await self._tokens.get(request.path_params["id"])
        if record.owner != user.name and not user.is_admin:
            raise ResourceUnknown(f"token {record.id!r} does not exist or was revoked")
        return record

    async def get(self, request: Request, caller: Principal | None) -> Response:
        return WireResponse(token_wire(await self._visible(request, caller)))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        record = await self._visible(request, caller)
        await self._tokens.revoke(record.id)
        return Response(b"", 204)

    async def create(self, request: Request, caller: Principal | None) -> Response:
        user = self._access.require_user(caller)
        body = await Body.read(request, TokenCreate)
        owner = user
        owner_name = body.optional_string("owner")
        if owner_name is not None and owner_name != user.name:
            self._access.require_admin(caller)
            found = await self._access.principal_for(owner_name, None)
            if found is None:
                raise BadRequest(f"user {owner_name[:128]!r} does not exist")
            owner = found
        kind = body.string("kind", "api")
        if kind not in KINDS:
            raise BadRequest(f"kind must be one of: {', '.join(KINDS)}")
        scopes = None
        raw_scopes = body.objects("scopes")
        if raw_scopes is not None:
            scopes = tuple(_scope(s) for s in raw_scopes)
        new = await self._tokens.create(
            owner,
            kind=kind,
            description=body.string("description", "")[:500],
            scopes=scopes,
            expires_in=body.optional_number("expires_in"),
        )
        shown = msgspec.structs.asdict(token_wire(new.record))
        location = f"/api/v1/tokens/{new.record.id}"
        headers = {"Location": location, "Cache-Control": "no-store"}
        return WireResponse(NewToken(**shown, token=new.secret), 201, headers)

    async def rotate_key(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        keep_for = self._registry.bearer.ttl + 60
        key = await to_thread.run_sync(lambda: self._registry.keys.rotate(keep_for))
        return WireResponse(KeyRotation(key.kid))


def _scope(raw: dict[str, object]) -> Grant:
    unknown = set(raw) - {"repository", "actions"}
    if unknown:
        raise BadRequest(f"a scope has 'repository' and 'actions', not {sorted(unknown)[0]!r}")
    actions = raw.get("actions")
    if not isinstance(actions, list):
        raise BadRequest("a scope's 'actions' must be a list")
    return Grant((validate_pattern(raw.get("repository")),), parse_actions(actions))


__all__ = ["TokenEndpoints"]
