"""``/policies``, ``/watches`` and ``/policies/exceptions``: what blocks the download or
promotion of a vulnerable artifact, where, and the time-limited exceptions an admin grants.
Any signed-in user may read policies and watches (to learn why a pull was refused); changing
them, and everything about exceptions, is for admins."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import page_of, page_params, page_response
from cargohold.api.rest.views import parse_timestamp, timestamp
from cargohold.core.errors import BadRequest
from cargohold.records.policy import ExceptionRecord, PolicyRecord, WatchRecord
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry

POLICY_FIELDS = ("name", "description", "rules", "actions")
WATCH_FIELDS = ("name", "description", "repositories", "policies")
EXCEPTION_FIELDS = ("digest", "advisory", "policy", "expires", "expiresIn", "reason")


def policy_json(record: PolicyRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "rules": dict(record.rules),
        "actions": dict(record.actions),
        "created": timestamp(record.created_at),
        "updated": timestamp(record.updated_at),
        "createdBy": record.created_by,
    }


def watch_json(record: WatchRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "repositories": list(record.repositories),
        "policies": list(record.policies),
        "created": timestamp(record.created_at),
        "updated": timestamp(record.updated_at),
        "createdBy": record.created_by,
    }


def exception_json(record: ExceptionRecord, expired: bool) -> dict[str, Any]:
    return {
        "id": record.id,
        "digest": record.digest,
        "advisory": record.advisory,
        "policy": record.policy,
        "reason": record.reason,
        "expires": timestamp(record.expires_at),
        "expired": expired,
        "created": timestamp(record.created_at),
        "createdBy": record.created_by,
    }


class PolicyEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._policies = registry.policies
        self._access = registry.access

    # --- policies -----------------------------------------------------------------------

    async def list_policies(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        limit, after = page_params(request)
        rows = page_of(await self._policies.policies(), after, limit, lambda r: r.name)
        return page_response(request, rows, limit, policy_json, lambda r: r.name)

    async def create_policy(self, request: Request, caller: Principal | None) -> Response:
        admin = self._access.require_admin(caller)
        body = await Body.read(request, POLICY_FIELDS)
        record = await self._policies.create_policy(
            body.string("name", required=True),
            rules=body.mapping("rules"),
            actions=body.mapping("actions"),
            description=body.string("description", ""),
            created_by=admin.name,
        )
        location = f"/api/v1/policies/{record.name}"
        return JSONResponse(policy_json(record), 201, {"Location": location})

    async def get_policy(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        record = await self._policies.get_policy(request.path_params["name"])
        return JSONResponse(policy_json(record))

    async def update_policy(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, ("description", "rules", "actions"))
        record = await self._policies.update_policy(
            request.path_params["name"],
            rules=body.mapping("rules") if body.has("rules") else None,
            actions=body.mapping("actions") if body.has("actions") else None,
            description=body.optional_string("description"),
        )
        return JSONResponse(policy_json(record))

    async def delete_policy(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._policies.delete_policy(request.path_params["name"])
        return Response(b"", 204)

    # --- watches ------------------------------------------------------------------------

    async def list_watches(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        limit, after = page_params(request)
        rows = page_of(await self._policies.watches(), after, limit, lambda r: r.name)
        return page_response(request, rows, limit, watch_json, lambda r: r.name)

    async def create_watch(self, request: Request, caller: Principal | None) -> Response:
        admin = self._access.require_admin(caller)
        body = await Body.read(request, WATCH_FIELDS)
        record = await self._policies.create_watch(
            body.string("name", required=True),
            repositories=body.strings("repositories"),
            policies=body.strings("policies"),
            description=body.string("description", ""),
            created_by=admin.name,
        )
        location = f"/api/v1/watches/{record.name}"
        return JSONResponse(watch_json(record), 201, {"Location": location})

    async def get_watch(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        record = await self._policies.get_watch(request.path_params["name"])
        return JSONResponse(watch_json(record))

    async def update_watch(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, ("description", "repositories", "policies"))
        record = await self._policies.update_watch(
            request.path_params["name"],
            repositories=body.optional_strings("repositories"),
            policies=body.optional_strings("policies"),
            description=body.optional_string("description"),
        )
        return JSONResponse(watch_json(record))

    async def delete_watch(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._policies.delete_watch(request.path_params["name"])
        return Response(b"", 204)

    # --- exceptions ---------------------------------------------------------------------

    async def list_exceptions(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        limit, after = page_params(request)
        before = None
        if after is not None:
            moment, _, last_id = after.partition("~")
            try:
                before = (float(moment), last_id)
            except ValueError as exc:
                raise BadRequest("after is not a cursor this server handed out") from exc
        query = request.query_params
        expired = query.get("expired")
        if expired not in (None, "true", "false"):
            raise BadRequest("expired must be true or false")
        exceptions = self._policies.exceptions
        rows = await exceptions.page(
            digest=query.get("digest") or None,
            expired=None if expired is None else expired == "true",
            before=before,
            limit=limit + 1,
        )
        return page_response(
            request,
            rows,
            limit,
            lambda r: exception_json(r, exceptions.expired(r)),
            lambda r: f"{r.created_at!r}~{r.id}",
        )

    async def grant_exception(self, request: Request, caller: Principal | None) -> Response:
        admin = self._access.require_admin(caller)
        body = await Body.read(request, EXCEPTION_FIELDS)
        exceptions = self._policies.exceptions
        record = await exceptions.grant(
            digest=body.string("digest", required=True),
            advisory=body.string("advisory", required=True),
            reason=body.string("reason", required=True),
            policy=body.optional_string("policy"),
            expires_at=parse_timestamp("expires", body.optional_string("expires")),
            expires_in=body.optional_number("expiresIn"),
            created_by=admin.name,
        )
        location = f"/api/v1/policies/exceptions/{record.id}"
        doc = exception_json(record, exceptions.expired(record))
        return JSONResponse(doc, 201, {"Location": location})

    async def get_exception(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        exceptions = self._policies.exceptions
        record = await exceptions.get(request.path_params["id"])
        return JSONResponse(exception_json(record, exceptions.expired(record)))

    async def revoke_exception(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._policies.exceptions.revoke(request.path_params["id"])
        return Response(b"", 204)


__all__ = ["PolicyEndpoints", "exception_json", "policy_json", "watch_json"]
