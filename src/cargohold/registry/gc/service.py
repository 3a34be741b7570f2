"""The garbage collection use cases: run a collection (an administrator, now, or the
schedule), and say why a blob is still here.

A real run commits one audit record (``gc.run``) and one ``gc`` event, with the report, for
webhooks that subscribe to it; a dry run only its audit record (``gc.dry-run``).

The schedule is a durable job per period: each node queues the next period's job at start
and each run queues the one after it, under a key naming the period, so however many nodes
there are, one collection runs per period.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import ResourceUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.gc import BlobReferences, GcReport
from cargohold.records.jobs import NewJob
from cargohold.registry.events.emitter import Events, Happened
from cargohold.registry.gc.collector import Collector
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.jobs import JobQueue
from cargohold.storage.base import BlobStore

GC_JOB = "gc.collect"
SYSTEM = "cargohold"  # who the audit log says ran a scheduled collection


def report_data(report: GcReport) -> dict[str, object]:
    """The report as the event's and the job's JSON (the REST API's own shape)."""
    return {
        "dryRun": report.dry_run,
        "startedAt": report.started_at,
        "durationSeconds": round(report.duration, 3),
        "graceSeconds": report.grace,
        "blobsDeleted": report.blobs,
        "bytesFreed": report.bytes,
        "manifestsRemoved": report.manifests,
        "unrecordedBlobs": report.unrecorded,
        "blobsLeft": report.left,
    }


class GarbageCollection:
    def __init__(
        self,
        collector: Collector,
        store: BlobStore,
        meta: MetadataStore,
        access: AccessControl,
        audit: AuditLog,
        events: Events,
        jobs: JobQueue,
        clock: Callable[[], float],
        interval: float = 0,
    ) -> None:
        self._collector = collector
        self._store = store
        self._meta = meta
        self._access = access
        self._audit = audit
        self._events = events
        self._jobs = jobs
        self._clock = clock
        self.interval = interval

    async def run(self, actor: Actor, dry_run: bool) -> GcReport:
        """Collect now (an administrator)."""
        self._access.require_admin(actor.principal)
        report = await self._collector.run(dry_run)
        action = "gc.dry-run" if dry_run else "gc.run"
        effects = self._audit.entry(actor, action, "gc", status=200)
        if not dry_run:
            effects += await self._events.effects(
                [Happened("gc", None, "gc", report_data(report), actor.name)]
            )
        await self._jobs.commit(effects)
        return report

    async def scheduled(self) -> GcReport:
        """The scheduled collection: run, record, and queue the next one."""
        report = await self._collector.run(False)
        await self._audit.record(SYSTEM, "gc.run", "gc", status=200, client="scheduler")
        await self._events.emit("gc", None, "gc", report_data(report), SYSTEM)
        await to_thread.run_sync(lambda: self.schedule(after=self._clock() + 1))
        return report

    def schedule(self, after: float | None = None) -> None:
        """Queue the collection of the first period that starts after ``after`` (now), if
        collections are scheduled; a node that starts finds it queued already. Blocking:
        called at start, or on a worker thread."""
        if self.interval <= 0:
            return
        now = self._clock()
        period = int((after or now) // self.interval) + 1
        job = NewJob(
            GC_JOB,
            {"period": period},
            key=f"{GC_JOB}:{period}",
            max_attempts=3,
            delay=max(0.0, period * self.interval - now),
        )
        self._meta.jobs.enqueue(job, now)

    async def references(self, principal: Principal | None, digest: Digest) -> BlobReferences:
        """Everything that keeps the blob (an administrator may ask), or when it goes."""
        self._access.require_admin(principal)
        key = str(digest)
        record = await to_thread.run_sync(self._meta.references.blob, key)
        holders = tuple(await to_thread.run_sync(self._meta.references.holders, key))
        size = await self._store.size(digest)
        if record is None and size is None and not holders:
            raise ResourceUnknown(f"no blob {digest} is stored or recorded")
        references = BlobReferences(
            digest=key,
            size=record.size if record is not None else size,
            stored=size is not None,
            holders=holders,
            touched_at=record.touched_at if record is not None else None,
            collectable_at=None,
            deleting=record is not None and record.deleting_since is not None,
        )
        if references.live or references.deleting or record is None:
            # Bytes no metadata records go once their file is older than the grace period.
            return references
        collectable = record.touched_at + self._collector.grace
        return dataclasses.replace(references, collectable_at=collectable)


__all__ = ["GC_JOB", "GarbageCollection", "report_data"]
