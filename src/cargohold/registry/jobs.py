"""The durable job queue: what services enqueue, and what workers claim, renew and finish.

Jobs live in the metadata database, so they survive restarts and are shared by every worker
process (and, on PostgreSQL, every node). Handlers must be idempotent: a worker that dies
mid-job leaves its lease to expire, and the job runs again.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from anyio import to_thread

from cargohold.core.errors import ResourceUnknown
from cargohold.meta.effects import Committed, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.jobs import STATES, JobRecord, NewJob

BACKOFF_BASE = 2.0  # seconds before the first retry; doubled for each further one
BACKOFF_CAP = 900.0


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after ``attempts`` failed attempts: ``base * 2**(attempts-1)``, at most
    ``cap``, plus up to 10% of jitter so retries of many jobs do not all land at once."""
    delay = min(base * 2.0 ** max(attempts - 1, 0), cap)
    return delay * (1 + random.random() / 10)


class JobQueue:
    """What services do with jobs: enqueue them and look at them."""

    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock
        self._listeners: list[Callable[[], None]] = []
        self.leases = JobLeases(meta, clock)

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, object],
        *,
        key: str | None = None,
        max_attempts: int = 10,
        delay: float = 0,
    ) -> str:
        """The id of the job that will run. With ``key``: if a job with that key is queued,
        that one; if it is running, it runs once more after the current run."""
        job = NewJob(kind, dict(payload), key, max_attempts, delay)
        check(job)
        job_id = await to_thread.run_sync(self._meta.jobs.enqueue, job, self._clock())
        self.notify()
        return job_id

    async def commit(self, effects: Effects) -> Committed:
        """Commit ``effects`` that come with no write of their own, and wake the runners."""
        committed = await to_thread.run_sync(self._meta.effects.commit, effects)
        if committed.jobs:
            self.notify()
        return committed

    def committed(self, effects: Effects) -> None:
        """Wake the runners after a write committed ``effects`` that may have queued jobs."""
        if effects.scans or effects.jobs or any(d for _, d in effects.events):
            self.notify()

    async def get(self, job_id: str) -> JobRecord:
        record = await to_thread.run_sync(self._meta.jobs.get, job_id)
        if record is None:
            raise ResourceUnknown(f"job {job_id[:40]!r} does not exist")
        return record

    async def list(
        self, state: str | None, kind: str | None, before: str | None, limit: int
    ) -> list[JobRecord]:
        """Newest first, filtered by state and kind."""
        return await to_thread.run_sync(self._meta.jobs.page, state, kind, before, limit)

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever this process enqueues a job (a runner wakes up)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self) -> None:
        for listener in list(self._listeners):
            listener()


class JobLeases:
    """What workers do with jobs: claim one under a lease, renew it, and say how it ended."""

    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    async def claim(self, owner: str, lease: float, kinds: Sequence[str]) -> JobRecord | None:
        now = self._clock()
        queries = self._meta.jobs

        def claim() -> JobRecord | None:
            if not queries.due(now, kinds):
                return None
            return queries.claim(owner, now, now + lease, kinds)

        return await to_thread.run_sync(claim)

    async def extend(self, job: JobRecord, owner: str, lease: float) -> bool:
        return await to_thread.run_sync(
            self._meta.jobs.extend, job.id, owner, self._clock() + lease
        )

    async def complete(self, job: JobRecord, owner: str, result: dict[str, Any] | None) -> str:
        return await to_thread.run_sync(
            self._meta.jobs.complete, job.id, owner, self._clock(), result
        )

    async def retry(
        self,
        job: JobRecord,
        owner: str,
        error: str,
        *,
        delay: float | None = None,
        progressed: bool = False,
        final: bool = False,
    ) -> str:
        """Schedule the next attempt after ``delay`` (default: the backoff for the attempts
        so far), or fail the job for good when it has none left. A run that ``progressed``
        before it failed counts as the first failed attempt of what remains."""
        attempts = 1 if progressed else job.attempts
        wait = backoff(attempts) if delay is None else delay
        now = self._clock()

        def retry() -> str:
            return self._meta.jobs.retry(
                job.id,
                owner,
                now,
                error,
                now + wait,
                attempts=attempts if progressed else None,
                final=final,
            )

        return await to_thread.run_sync(retry)

    async def release(self, job: JobRecord, owner: str) -> bool:
        return await to_thread.run_sync(self._meta.jobs.release, job.id, owner)


def check(job: NewJob) -> None:
    """Programming errors, not user input: a bad job is a bug in the caller."""
    if not 0 < len(job.kind) <= 64:
        raise ValueError(f"job kind must be 1-64 characters, not {job.kind!r}")
    if job.key is not None and not 0 < len(job.key) <= 255:
        raise ValueError("job key must be 1-255 characters")
    if job.max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if job.delay < 0:
        raise ValueError("delay must not be negative")


__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "STATES", "JobLeases", "JobQueue", "backoff"]
