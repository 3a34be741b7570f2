"""``/policies``, ``/watches`` and ``/policies/exceptions``: what blocks the download or
promotion of a vulnerable artifact, where, and the time-limited exceptions an admin grants.
Any signed-in user may read policies and watches (to learn why a pull was refused); changing
them, and everything about exceptions, is for admins."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, Position, Seconds, page_of, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import parse_timestamp
from cargohold.core.errors import BadRequest
from cargohold.core.times import moment
from cargohold.records.policy import ExceptionRecord, PolicyRecord, WatchRecord
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire import policy as wire


class ExceptionPosition(Position, frozen=True):
    """Where a page of exceptions (newest first) ends: its last one's creation and id."""

    created: Seconds
    id: str


def policy_wire(record: PolicyRecord) -> wire.Policy:
    return wire.Policy(
        name=record.name,
        description=record.description,
        rules=msgspec.convert(record.rules, wire.PolicyRules),
        actions=msgspec.convert(record.actions, wire.PolicyActions),
        created=moment(record.created_at),
        updated=moment(record.updated_at),
        created_by=record.created_by,
    )


def watch_wire(record: WatchRecord) -> wire.Watch:
    return wire.Watch(
        name=record.name,
        description=record.description,
        repositories=record.repositories,
        policies=record.policies,
        created=moment(record.created_at),
        updated=moment(record.updated_at),
        created_by=record.created_by,
    )


def exception_wire(record: ExceptionRecord, expired: bool) -> wire.PolicyException:
    return wire.PolicyException(
        id=record.id,
        digest=record.digest,
        advisory=record.advisory,
        policy=record.policy,
        reason=record.reason,
        expires=moment(record.expires_at),
        expired=expired,
        created=moment(record.created_at),
        created_by=record.created_by,
    )


class PolicyEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._policies = registry.policies
        self._access = registry.access

    # --- policies -----------------------------------------------------------------------

    async def list_policies(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        limit, after = page_request(request, Key)
        rows = page_of(await self._policies.policies(), after, limit, lambda r: r.name)
        return paged(request, rows, limit, policy_wire, lambda r: Key(r.name))

    async def create_policy(self, request: Request, caller: Principal | None) -> Response:
        admin = self._access.require_admin(caller)
        body = await Body.read(request, wire.PolicyCreate)
        record = await self._policies.create_policy(
            body.string("name", required=True),
            rules=body.mapping("rules"),
            actions=body.mapping("actions"),
            description=body.string("description", ""),
            created_by=admin.name,
        )
        location = f"/api/v1/policies/{record.name}"
        return WireResponse(policy_wire(record), 201, {"Location": location})

    async def get_policy(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        record = await self._policies.get_policy(request.path_params["name"])
        return WireResponse(policy_wire(record))

    async def update_policy(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, wire.PolicyUpdate)
        record = await self._policies.update_policy(
            request.path_params["name"],
            rules=body.mapping("rules") if body.has("rules") else None,
            actions=body.mapping("actions") if body.has("actions") else None,
            description=body.optional_string("description"),
        )
        return WireResponse(policy_wire(record))

    async def delete_policy(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._policies.delete_policy(request.path_params["name"])
        return Response(b"", 204)

    # --- watches ------------------------------------------------------------------------

    async def list_watches(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        limit, after = page_request(request, Key)
        rows = page_of(await self._policies.watches(), after, limit, lambda r: r.name)
        return paged(request, rows, limit, watch_wire, lambda r: Key(r.name))

    async def create_watch(self, request: Request, caller: Principal | None) -> Response:
        admin = self._access.require_admin(caller)
        body = await Body.read(request, wire.WatchCreate)
        record = await self._policies.create_watch(
            body.string("name", required=True),
            repositories=body.strings("repositories"),
            policies=body.strings("policies"),
            description=body.string("description", ""),
            created_by=admin.name,
        )
        location = f"/api/v1/watches/{record.name}"
        return WireResponse(watch_wire(record), 201, {"Location": location})

    async def get_watch(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        record = await self._policies.get_watch(request.path_params["name"])
        return WireResponse(watch_wire(record))

    async def update_watch(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        body = await Body.read(request, wire.WatchUpdate)
        record = await self._policies.update_watch(
            request.path_params["name"],
            repositories=body.optional_strings("repositories"),
            policies=body.optional_strings("policies"),
            description=body.optional_string("description"),
        )
        return WireResponse(watch_wire(record))

    async def delete_watch(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._policies.delete_watch(request.path_params["name"])
        return Response(b"", 204)

    # --- exceptions ---------------------------------------------------------------------

    async def list_exceptions(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        limit, after = page_request(request, ExceptionPosition)
        before = None if after is None else (after.created, after.id)
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
        return paged(
            request,
            rows,
            limit,
            lambda r: exception_wire(r, exceptions.expired(r)),
            lambda r: ExceptionPosition(r.created_at, r.id),
        )

    async def grant_exception(self, request: Request, caller: Principal | None) -> Response:
        admin = self._access.require_admin(caller)
        body = await Body.read(request, wire.PolicyExceptionCreate)
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
        doc = exception_wire(record, exceptions.expired(record))
        return WireResponse(doc, 201, {"Location": location})

    async def get_exception(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        exceptions = self._policies.exceptions
        record = await exceptions.get(request.path_params["id"])
        return WireResponse(exception_wire(record, exceptions.expired(record)))

    async def revoke_exception(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        await self._policies.exceptions.revoke(request.path_params["id"])
        return Response(b"", 204)


__all__ = ["PolicyEndpoints", "exception_wire", "policy_wire", "watch_wire"]
