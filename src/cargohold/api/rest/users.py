"""``/users`` and ``/me``: accounts, for administrators and for each user itself."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import page_params, page_response
from cargohold.api.rest.views import scopes_json, user_json
from cargohold.core.errors import Denied
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry


class UserEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._identity = registry.identity

    def _self_or_admin(self, request: Request, caller: Principal | None) -> str:
        name: str = request.path_params["name"]
        user = self._registry.access.require_user(caller)
        if user.name != name:
            self._registry.access.require_admin(caller)
        return name

    async def me(self, request: Request, caller: Principal | None) -> Response:
        user = self._registry.access.require_user(caller)
        record = await self._identity.get_user(user.name)
        body = user_json(record, user.groups)
        token = None
        if user.token_id is not None:
            found = await self._registry.tokens.get(user.token_id)
            token = {"id": found.id, "scopes": scopes_json(found.scopes)}
        body["token"] = token
        return JSONResponse(body)

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        limit, after = page_params(request)
        rows = await self._identity.users(after, limit + 1)
        return page_response(
            request, rows, limit, lambda row: user_json(*row), lambda row: row[0].name
        )

    async def get(self, request: Request, caller: Principal | None) -> Response:
        name = self._self_or_admin(request, caller)
        record = await self._identity.get_user(name)
        return JSONResponse(user_json(record, await self._identity.groups_of(name)))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        body = await Body.read(request, ("name", "password", "admin", "service", "email"))
        record = await self._identity.create_user(
            body.string("name", required=True),
            body.optional_string("password"),
            admin=body.boolean("admin", False),
            service=body.boolean("service", False),
            email=body.optional_string("email"),
        )
        location = f"/api/v1/users/{record.name}"
        return JSONResponse(user_json(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        name = self._self_or_admin(request, caller)
        body = await Body.read(request, ("password", "admin", "email"))
        admin = body.optional_boolean("admin")
        if caller is not None and not caller.is_admin:
            if admin is not None:
                raise Denied("only an administrator can change who is an administrator")
            if caller.scopes is not None:
                raise Denied("a scoped API token cannot change its account; use a password")
        record = await self._identity.update_user(
            name,
            password=body.optional_string("password"),
            admin=admin,
            email=body.optional_string("email"),
        )
        return JSONResponse(user_json(record, await self._identity.groups_of(name)))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        await self._identity.delete_user(request.path_params["name"])
        return Response(b"", 204)


__all__ = ["UserEndpoints"]
