"""Runs of retention policies: on demand by an administrator (``dry_run``: say what would
go, change nothing) or on a schedule, as a durable job that queues its own next run.

A dry run and a real run plan with the same code (``planning.plan``); a real run then
removes, image by image, what the plan chose, each removal re-checked as it is made (a push
in between wins) and committed with a ``delete`` event as a user's delete is. The run's
audit record, with its counts, commits once it ends. Removing is metadata only: the bytes
come back through garbage collection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.errors import ResourceUnknown
from cargohold.meta.effects import Effects, merged
from cargohold.meta.store import MetadataStore
from cargohold.records.retention import Removal, RetentionPolicyRecord
from cargohold.registry.events.emitter import Announcer, Events
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.jobs import JobQueue
from cargohold.registry.retention.planning import DAY, applies, plan

RUN_JOB = "retention.run"
SCHEDULE_KEY = "retention.schedule"
# Who the audit log and the events name for a scheduled run (no account can be named so:
# account names have no ':').
SCHEDULER = Principal("system:retention", admin=True)

log = logging.getLogger("cargohold.retention")


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    interval_seconds: int = 0  # 0: no scheduled runs
    protect_promoted_days: int = 7


@dataclass(frozen=True, slots=True)
class RunRequest:
    dry_run: bool
    policy: str | None = None  # None: every enabled policy


@dataclass(frozen=True, slots=True)
class RetentionRun:
    dry_run: bool
    policies: tuple[str, ...]
    removed: tuple[Removal, ...]  # dry run: what would go
    seconds: float

    @property
    def tags(self) -> int:
        return sum(1 for r in self.removed if r.tag is not None)

    @property
    def manifests(self) -> int:
        return sum(1 for r in self.removed if r.tag is None)


class Retention:
    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        access: AccessControl,
        audit: AuditLog,
        events: Events,
        jobs: JobQueue,
        settings: RetentionSettings,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._access = access
        self._audit = audit
        self._events = events
        self._jobs = jobs
        self._settings = settings

    async def run(
        self, actor: Actor, read_request: Callable[[], Awaitable[RunRequest]]
    ) -> RetentionRun:
        """Run the policy ``read_request`` names (enabled or not), or every enabled one
        (the request is read once the caller may)."""
        self._access.require_admin(actor.principal)
        request = await read_request()
        dry_run, policy = request.dry_run, request.policy
        if policy is not None:
            record = await to_thread.run_sync(self._meta.retention.get, policy)
            if record is None:
                raise ResourceUnknown(f"retention policy {policy[:128]!r} does not exist")
            chosen = [record]
        else:
            every = await to_thread.run_sync(self._meta.retention.all)
            chosen = [p for p in every if p.enabled]
        return await self._run(actor, chosen, dry_run)

    async def _run(
        self, actor: Actor, policies: list[RetentionPolicyRecord], dry_run: bool
    ) -> RetentionRun:
        started = time.monotonic()
        now = self._clock()
        since = now - self._settings.protect_promoted_days * DAY
        inventory = self._meta.retention_inventory
        removed: list[Removal] = []
        repositories = await to_thread.run_sync(inventory.docker_repositories)
        for repository in repositories:
            covering = [p for p in policies if applies(p, repository)]
            if not covering:
                continue
            announce: Announcer | None = None
            for name in await to_thread.run_sync(inventory.images, repository):
                relevant = [p for p in covering if applies(p, repository, name)]
                if not relevant:
                    continue
                image = await to_thread.run_sync(inventory.inventory, repository, name, since)
                chosen = plan(relevant, image, now)
                if not chosen or dry_run:
                    removed += chosen
                    continue
                if announce is None:
                    announce = await self._events.announcer("delete", repository)
                effects_of = _deletes(announce, actor)
                gone = await to_thread.run_sync(
                    inventory.remove, repository, name, chosen, effects_of
                )
                removed += gone
        if removed and not dry_run:
            self._jobs.notify()  # the webhook deliveries of the delete events
        outcome = RetentionRun(
            dry_run, tuple(p.name for p in policies), tuple(removed), time.monotonic() - started
        )
        if not dry_run:
            target = (
                f"retention/run: {outcome.tags} tags, {outcome.manifests} untagged manifests "
                f"removed by {', '.join(outcome.policies) or 'no policy'}"
            )
            await self._jobs.commit(self._audit.entry(actor, "retention.run", target))
        return outcome

    # --- the schedule -------------------------------------------------------------------

    async def schedule(self) -> str | None:
        """Queue the next scheduled run, one interval from now, unless one is queued
        already (on any node); None when the schedule is off."""
        interval = self._settings.interval_seconds
        if interval <= 0:
            return None
        return await self._jobs.enqueue(RUN_JOB, {}, key=SCHEDULE_KEY, delay=interval)

    async def scheduled_run(self) -> RetentionRun | None:
        """Run every enabled policy, then queue the next run; None when the schedule is off
        (a run queued before it was turned off)."""
        if self._settings.interval_seconds <= 0:
            return None
        try:
            every = await to_thread.run_sync(self._meta.retention.all)
            return await self._run(
                Actor(SCHEDULER, "scheduler"), [p for p in every if p.enabled], False
            )
        finally:
            await self.schedule()


def _deletes(announce: Announcer, actor: Actor) -> Callable[[list[Removal]], Effects]:
    """The ``delete`` event of each removal, as a user's delete of the tag or manifest."""

    def effects_of(gone: list[Removal]) -> Effects:
        return merged(
            [
                announce(
                    r.name,
                    {
                        "repository": r.repository,
                        "image": r.name,
                        "name": f"{r.repository}/{r.name}",
                        "digest": r.digest,
                        "tag": r.tag,
                        "retention": {"policy": r.policy, "rule": r.rule},
                    },
                    actor.name,
                )
                for r in gone
            ]
        )

    return effects_of


__all__ = [
    "RUN_JOB",
    "SCHEDULER",
    "SCHEDULE_KEY",
    "Retention",
    "RetentionRun",
    "RetentionSettings",
    "RunRequest",
]
