"""``/retention``: retention policies (which tags and untagged manifests of docker
repositories go) and their runs, dry or real; administrators only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, page_of, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.core.errors import BadRequest
from cargohold.core.times import moment
from cargohold.records.retention import Removal, RetentionPolicyRecord, RetentionRule
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.registry.retention.rules import NewRetentionPolicy
from cargohold.registry.retention.runs import RetentionRun, RunRequest
from cargohold.wire import retention as wire
from cargohold.wire.base import UNSET


def rule_wire(rule: RetentionRule) -> wire.RetentionRule:
    return wire.RetentionRule(
        tags=UNSET if rule.tags is None else rule.tags,
        keep_last=UNSET if rule.keep_last is None else rule.keep_last,
        older_than_days=UNSET if rule.older_than_days is None else rule.older_than_days,
        untagged_older_than_days=UNSET if rule.untagged_days is None else rule.untagged_days,
        unused_days=UNSET if rule.unused_days is None else rule.unused_days,
    )


def retention_policy_wire(record: RetentionPolicyRecord) -> wire.RetentionPolicy:
    return wire.RetentionPolicy(
        id=record.id,
        name=record.name,
        description=record.description,
        repositories=record.repositories,
        images=record.images,
        rules=tuple(rule_wire(r) for r in record.rules),
        enabled=record.enabled,
        created=moment(record.created_at),
        updated=moment(record.updated_at),
        created_by=record.created_by,
    )


def removal_wire(removal: Removal) -> wire.RetentionRemoval:
    return wire.RetentionRemoval(
        repository=removal.repository,
        image=removal.name,
        tag=removal.tag,
        digest=removal.digest,
        policy=removal.policy,
        rule=removal.rule,
    )


def run_wire(run: RetentionRun) -> wire.RetentionRunResult:
    return wire.RetentionRunResult(
        dry_run=run.dry_run,
        policies=run.policies,
        tags=run.tags,
        manifests=run.manifests,
        seconds=round(run.seconds, 3),
        removed=tuple(removal_wire(r) for r in run.removed),
    )


class RetentionEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._policies = registry.retention_policies
        self._retention = registry.retention

    async def list(self, request: Request, caller: Principal | None) -> Response:
        records = await self._policies.list(caller)
        limit, after = page_request(request, Key)
        rows = page_of(records, after, limit, lambda r: r.name)
        return paged(request, rows, limit, retention_policy_wire, lambda r: Key(r.name))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        async def read_policy() -> NewRetentionPolicy:
            body = await Body.read(request, wire.RetentionPolicyCreate)
            return NewRetentionPolicy(
                body.string("name", required=True),
                repositories=body.strings("repositories"),
                rules=body.objects("rules") or [],
                images=body.optional_string("images"),
                description=body.string("description", ""),
                enabled=body.boolean("enabled", True),
            )

        actor = Actor(caller, client_address(request))
        record = await self._policies.create(actor, read_policy)
        location = f"/api/v1/retention/{record.id}"
        return WireResponse(retention_policy_wire(record), 201, {"Location": location})

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._policies.get(caller, request.path_params["policy"])
        return WireResponse(retention_policy_wire(record))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        actor = Actor(caller, client_address(request))
        await self._policies.delete(actor, request.path_params["policy"])
        return Response(b"", 204)

    async def run(self, request: Request, caller: Principal | None) -> Response:
        async def read_run() -> RunRequest:
            body = await Body.read(request, wire.RetentionRunRequest)
            if not body.has("dryRun"):
                raise BadRequest("'dryRun' (true or false) is required; true lists what would go")
            return RunRequest(body.boolean("dryRun", True), body.optional_string("policy"))

        outcome = await self._retention.run(Actor(caller, client_address(request)), read_run)
        return WireResponse(run_wire(outcome))


__all__ = ["RetentionEndpoints", "removal_wire", "retention_policy_wire", "run_wire"]
