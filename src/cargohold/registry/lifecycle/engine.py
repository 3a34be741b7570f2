"""One promotion engine for every kind of promotion (docker images, generic files, whole
builds): the same gates in the same order, a record of every attempt, dry runs, and the
events committed with the promotion itself.

A kind says what it promotes (``Promotion``): the repositories it reads from and writes to
(``gates``), then, once the caller passed the gates, the plan — what policies must allow,
the records, the events, and the metadata write (``plan``). The engine does the rest:

1. the caller needs ``promote`` on every source, ``delete`` there too to move, and ``write``
   on every target; moving out of a repository with immutable tags is refused;
2. the plan is made (only now is anything about the artifacts read: a caller without the
   right learns nothing of them);
3. every policy watching a target may refuse an artifact;
4. the write runs with its records, its events and its audit record in one transaction (a
   dry run checks, and stores its records and its audit record only);
5. a refusal at any step is recorded with its status and message, then raised (the protocol
   that renders it records it in the audit log).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from anyio import to_thread

from cargohold.core.errors import Denied, RegistryError, TagImmutable
from cargohold.core.properties import Values
from cargohold.core.times import moment
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import PromotionRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.events.emitter import Events, Happened
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog, result_of
from cargohold.registry.identity.permissions import Action
from cargohold.registry.jobs import JobQueue
from cargohold.wire import lifecycle as wire

R = TypeVar("R")


class PromotionGate(Protocol):
    """What policies say about an artifact about to land in a repository they watch."""

    async def check_promotion(self, repository: str, digest: str, subject: str) -> None:
        """Raise PolicyViolation if a policy watching ``repository`` refuses ``digest``."""
        ...


@dataclass(frozen=True, slots=True)
class Attempt:
    """What every record of one promotion shares: who, which kind, how, and when; and what
    the audit log calls it: action ``{kind}.promote`` on ``resource`` (``docker/dev/promote``)."""

    actor: Actor
    kind: str  # docker, generic, build
    resource: str
    copy: bool
    dry_run: bool
    comment: str
    time: float

    def record(
        self,
        *,
        source_repository: str,
        target_repository: str,
        source: str,
        target: str,
        status: int,
        message: str,
        digest: str | None = None,
        tags: tuple[str, ...] = (),
        properties: Values | None = None,
    ) -> PromotionRecord:
        principal = self.actor.principal
        return PromotionRecord(
            id=secrets.token_hex(8),
            time=self.time,
            principal=self.actor.name,
            token_id=principal.token_id if principal is not None else None,
            kind=self.kind,
            source_repository=source_repository,
            target_repository=target_repository,
            source=source,
            target=target,
            digest=digest,
            tags=tags,
            copy=self.copy,
            dry_run=self.dry_run,
            comment=self.comment,
            properties=properties or {},
            status=status,
            result="dry-run" if self.dry_run and status < 400 else result_of(status),
            message=message,
        )

    @property
    def outcome(self) -> str:
        """The message of every record of an attempt that passed."""
        return "dry run: nothing changed" if self.dry_run else "promoted"


@dataclass(frozen=True, slots=True)
class Gates:
    """The repositories a promotion reads from and writes to."""

    sources: Sequence[RepositoryRecord]
    targets: Sequence[RepositoryRecord]
    moving: str  # what a refused move out of an immutable repository calls the promoted thing
    remedy: str = "promote with copy instead"
    guard_immutable_sources: bool = True


@dataclass(frozen=True, slots=True)
class Plan(Generic[R]):
    """What a promotion does once its gates are passed: the ``checks`` policies make
    (target repository, digest, subject), its ``records`` and ``events``, and ``apply``, the
    metadata write (run off the event loop, with the effects to commit in its transaction;
    a dry run checks, and stores its records with the effects, which are its audit record
    only, and changes nothing else)."""

    checks: Sequence[tuple[str, str, str]]
    events: Sequence[Happened]
    apply: Callable[[Effects], R]


class Promotion(Protocol[R]):
    """One kind of promotion, asked by the engine in order."""

    @property
    def attempt(self) -> Attempt: ...

    async def gates(self) -> Gates: ...

    async def plan(self, gates: Gates) -> Plan[R]: ...

    def refused(self, status: int, message: str) -> PromotionRecord:
        """The record of the attempt when it is refused."""
        ...


class PromotionEngine:
    def __init__(
        self,
        meta: MetadataStore,
        access: AccessControl,
        gate: PromotionGate,
        audit: AuditLog,
        events: Events,
        jobs: JobQueue,
        clock: Callable[[], float],
    ) -> None:
        self._clock = clock
        self._meta = meta
        self._access = access
        self._gate = gate
        self._audit = audit
        self._events = events
        self._jobs = jobs

    async def run(self, promotion: Promotion[R]) -> R:
        """Promote, or refuse with the reason; either way the attempt is recorded."""
        attempt = promotion.attempt
        try:
            gates = await promotion.gates()
            self._pass(attempt, gates)
            plan = await promotion.plan(gates)
            for target, digest, subject in plan.checks:
                await self._gate.check_promotion(target, digest, subject)
            effects = self._audit.entry(
                attempt.actor, f"{attempt.kind}.promote", attempt.resource, status=200
            )
            if not attempt.dry_run:
                effects += await self._events.effects(plan.events)
            result = await to_thread.run_sync(plan.apply, effects)
        except RegistryError as exc:
            refused = promotion.refused(exc.status, exc.message)
            await to_thread.run_sync(self._meta.promotions.record, refused)
            raise
        self._jobs.committed(effects)
        return result

    def attempt(
        self, actor: Actor, kind: str, resource: str, *, copy: bool, dry_run: bool, comment: str
    ) -> Attempt:
        return Attempt(actor, kind, resource, copy, dry_run, comment, self._clock())

    def _pass(self, attempt: Attempt, gates: Gates) -> None:
        principal = attempt.actor.principal
        for source in gates.sources:
            self._access.check(principal, source, Action.PROMOTE)
            if not attempt.copy:
                self._access.check(principal, source, Action.DELETE)
        for target in gates.targets:
            self._access.check(principal, target, Action.WRITE)
            if target.kind != "local":
                raise Denied(
                    f"repository {target.key!r} is a {target.kind} repository: promote into a "
                    "local repository (what a remote one holds comes from its upstream; a "
                    "virtual one holds nothing of its own)",
                    {"repository": target.key, "kind": target.kind},
                )
        if attempt.copy or not gates.guard_immutable_sources:
            return
        for source in gates.sources:
            if source.immutable_tags:
                raise TagImmutable(
                    f"moving {gates.moving} out of repository {source.key!r} would delete its "
                    f"tags, and it has immutable tags (setting immutableTags); {gates.remedy}",
                    {"repository": source.key, "setting": "immutableTags"},
                )


def promotion_wire(record: PromotionRecord) -> wire.Promotion:
    return wire.Promotion(
        id=record.id,
        time=moment(record.time),
        principal=record.principal,
        token_id=record.token_id,
        kind=cast(wire.PromotionKind, record.kind),
        source_repo=record.source_repository,
        target_repo=record.target_repository,
        source=record.source,
        target=record.target,
        digest=record.digest,
        tags=record.tags,
        copy=record.copy,
        dry_run=record.dry_run,
        comment=record.comment,
        properties=record.properties,
        status=record.status,
        result=record.result,
        message=record.message,
    )


def promotion_data(record: PromotionRecord) -> dict[str, Any]:
    """A promotion record as a "promote" event carries it: as the REST API shows it."""
    return promotion_wire(record).to_json()


__all__ = [
    "Attempt",
    "Gates",
    "Plan",
    "Promotion",
    "PromotionEngine",
    "PromotionGate",
    "promotion_data",
    "promotion_wire",
]
