"""``/policies``, ``/watches`` and ``/policies/exceptions``: what blocks the download or
promotion of a vulnerable artifact, where, and the time-limited exceptions an admin grants.
Any signed-in user may read policies and watches (to learn why a pull was refused); changing
them, and everything about exceptions, is for admins."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, Position, Seconds, page_of, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import parse_timestamp
from cargohold.core.errors import BadRequest
from cargohold.core.times import moment
from cargohold.records.policy import ExceptionRecord, PolicyRecord, WatchRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.policy.definitions import NewPolicy, NewWatch, PolicyChanges, WatchChanges
from cargohold.registry.policy.exceptions import NewException
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
        self._definitions = registry.policy_definitions
        self._exceptions = registry.policy_exceptions

    # --- policies -----------------------------------------------------------------------

    async def list_policies(self, request: Request, caller: Principal | None) -> Response:
        records = await self._definitions.policies(caller)
        limit, after = page_request(request, Key)
        rows = page_of(records, after, limit, lambda r: r.name)
        return paged(request, rows, limit, policy_wire, lambda r: Key(r.name))

    async def create_policy(self, request: Request, caller: Principal | None) -> Response:
        async def read_policy() -> NewPolicy:
            body = await Body.read(request, wire.PolicyCreate)
            return NewPolicy(
                body.string("name", required=True),
                rules=body.mapping("rules"),
                actions=body.mapping("actions"),
                description=body.string("description", ""),
            )

        actor = Actor(caller, client_address(request))
        record = await self._definitions.create_policy(actor, read_policy)
        location = f"/api/v1/policies/{record.name}"
        return WireResponse(policy_wire(record), 201, {"Location": location})

    async def get_policy(self, request: Request, caller: Principal | None) -> Response:
        record = await self._definitions.get_policy(caller, request.path_params["name"])
        return WireResponse(policy_wire(record))

    async def update_policy(self, request: Request, caller: Principal | None) -> Response:
        async def read_changes() -> PolicyChanges:
            body = await Body.read(request, wire.PolicyUpdate)
            return PolicyChanges(
                rules=body.mapping("rules") if body.has("rules") else None,
                actions=body.mapping("actions") if body.has("actions") else None,
                description=body.optional_string("description"),
            )

        actor = Actor(caller, client_address(request))
        name = request.path_params["name"]
        record = await self._definitions.update_policy(actor, name, read_changes)
        return WireResponse(policy_wire(record))

    async def delete_policy(self, request: Request, caller: Principal | None) -> Response:
        actor = Actor(caller, client_address(request))
        await self._definitions.delete_policy(actor, request.path_params["name"])
        return Response(b"", 204)

    # --- watches ------------------------------------------------------------------------

    async def list_watches(self, request: Request, caller: Principal | None) -> Response:
        records = await self._definitions.watches(caller)
        limit, after = page_request(request, Key)
        rows = page_of(records, after, limit, lambda r: r.name)
        return paged(request, rows, limit, watch_wire, lambda r: Key(r.name))

    async def create_watch(self, request: Request, caller: Principal | None) -> Response:
        async def read_watch() -> NewWatch:
            body = await Body.read(request, wire.WatchCreate)
            return NewWatch(
                body.string("name", required=True),
                repositories=body.strings("repositories"),
                policies=body.strings("policies"),
                description=body.string("description", ""),
            )

        actor = Actor(caller, client_address(request))
        record = await self._definitions.create_watch(actor, read_watch)
        location = f"/api/v1/watches/{record.name}"
        return WireResponse(watch_wire(record), 201, {"Location": location})

    async def get_watch(self, request: Request, caller: Principal | None) -> Response:
        record = await self._definitions.get_watch(caller, request.path_params["name"])
        return WireResponse(watch_wire(record))

    async def update_watch(self, request: Request, caller: Principal | None) -> Response:
        async def read_changes() -> WatchChanges:
            body = await Body.read(request, wire.WatchUpdate)
            return WatchChanges(
                repositories=body.optional_strings("repositories"),
                policies=body.optional_strings("policies"),
                description=body.optional_string("description"),
            )

        actor = Actor(caller, client_address(request))
        name = request.path_params["name"]
        record = await self._definitions.update_watch(actor, name, read_changes)
        return WireResponse(watch_wire(record))

    async def delete_watch(self, request: Request, caller: Principal | None) -> Response:
        actor = Actor(caller, client_address(request))
        await self._definitions.delete_watch(actor, request.path_params["name"])
        return Response(b"", 204)

    # --- exceptions ---------------------------------------------------------------------

    async def list_exceptions(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, ExceptionPosition)
        before = None if after is None else (after.created, after.id)
        query = request.query_params
        expired = query.get("expired")
        if expired not in (None, "true", "false"):
            raise BadRequest("expired must be true or false")
        exceptions = self._exceptions
        rows = await exceptions.page(
            caller,
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
        async def read_exception() -> NewException:
            body = await Body.read(request, wire.PolicyExceptionCreate)
            return NewException(
                digest=body.string("digest", required=True),
                advisory=body.string("advisory", required=True),
                reason=body.string("reason", required=True),
                policy=body.optional_string("policy"),
                expires_at=parse_timestamp("expires", body.optional_string("expires")),
                expires_in=body.optional_number("expiresIn"),
            )

        actor = Actor(caller, client_address(request))
        record = await self._exceptions.grant(actor, read_exception)
        location = f"/api/v1/policies/exceptions/{record.id}"
        doc = exception_wire(record, self._exceptions.expired(record))
        return WireResponse(doc, 201, {"Location": location})

    async def get_exception(self, request: Request, caller: Principal | None) -> Response:
        record = await self._exceptions.get(caller, request.path_params["id"])
        return WireResponse(exception_wire(record, self._exceptions.expired(record)))

    async def revoke_exception(self, request: Request, caller: Principal | None) -> Response:
        actor = Actor(caller, client_address(request))
        await self._exceptions.revoke(actor, request.path_params["id"])
        return Response(b"", 204)


__all__ = ["PolicyEndpoints", "exception_wire", "policy_wire", "watch_wire"]
