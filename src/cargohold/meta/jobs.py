"""Queries on the durable job queue: enqueue (with an optional dedupe key), claim with a lease,
extend, finish, retry, and list.

A job is ``queued`` until a worker claims it, ``running`` while a worker holds its lease, and
``done`` or ``failed`` at the end. A worker that stops (a crash, ``kill -9``) stops renewing
its lease; once ``lease_until`` has passed the job can be claimed again.

The claim is one ``UPDATE … WHERE id = (SELECT … LIMIT 1) AND <claimable>`` whose rowcount
says whether this worker won: on SQLite the write lock makes it atomic, on PostgreSQL the
subquery takes ``FOR UPDATE SKIP LOCKED`` so concurrent workers pass over each other's rows.

A key names at most one live (queued or running) job. Enqueueing a key whose job is queued
returns that job; enqueueing it while the job runs asks for one more run after this one
(the job goes back to ``queued`` while its lease still holds, so nobody claims it before
the current run ends). So every enqueue is followed by a run that starts after it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.outbox.jobs import enqueue_in
from cargohold.meta.pruning import BATCH, delete_in_batches
from cargohold.meta.schema import jobs
from cargohold.records.jobs import JobRecord, NewJob

LIVE = ("queued", "running")
FINISHED = ("done", "failed")
MAX_ERROR = 2000


def _claimable(now: float, kinds: Sequence[str]) -> sa.ColumnElement[bool]:
    c = jobs.c
    return sa.and_(
        c.state.in_(LIVE),
        c.run_after <= now,
        sa.or_(c.lease_until.is_(None), c.lease_until <= now),
        c.kind.in_(list(kinds)),
    )


class JobQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def enqueue(self, job: NewJob, now: float) -> str:
        with self._engine.begin() as connection:
            return enqueue_in(connection, job, now)

    def get(self, job_id: str) -> JobRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _record(row)

    def page(
        self, state: str | None, kind: str | None, before: str | None, limit: int
    ) -> list[JobRecord]:
        """Newest first; ``before`` is the id the previous page ended at."""
        query = sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(jobs.c.state == state)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        if before is not None:
            query = query.where(jobs.c.id < before)
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query)]

    # --- what workers do --------------------------------------------------------------

    def due(self, now: float, kinds: Sequence[str]) -> bool:
        """Whether any job of these kinds could be claimed now (a read: cheap when idle)."""
        with reading(self._engine) as connection:
            found = connection.execute(
                sa.select(jobs.c.id).where(_claimable(now, kinds)).limit(1)
            ).first()
        return found is not None

    def claim(
        self, owner: str, now: float, lease_until: float, kinds: Sequence[str]
    ) -> JobRecord | None:
        """Take the oldest due job of these kinds with a lease until ``lease_until``."""
        c = jobs.c
        with self._engine.begin() as connection:
            # A job whose worker stopped on its last attempt is not run again.
            connection.execute(
                jobs.update()
                .where(_claimable(now, kinds), c.attempts >= c.max_attempts)
                .values(
                    state="failed",
                    key=None,
                    lease_owner=None,
                    lease_until=None,
                    finished_at=now,
                    last_error=sa.func.coalesce(c.last_error, "")
                    + " (the worker running the last attempt stopped)",
                )
            )
            candidate = (
                sa.select(c.id)
                .where(_claimable(now, kinds), c.attempts < c.max_attempts)
                .order_by(c.run_after, c.id)
                .limit(1)
            )
            if connection.dialect.name == "postgresql":
                candidate = candidate.with_for_update(skip_locked=True)
            claimed = connection.execute(
                jobs.update()
                .where(
                    c.id == candidate.scalar_subquery(),
                    _claimable(now, kinds),
                    c.attempts < c.max_attempts,
                )
                .values(
                    state="running",
                    attempts=c.attempts + 1,
                    lease_owner=owner,
                    lease_until=lease_until,
                )
                .returning(*jobs.c)
            ).first()
        return None if claimed is None else _record(claimed)

    def extend(self, job_id: str, owner: str, lease_until: float) -> bool:
        """Renew the lease; False when this worker no longer holds it."""
        with self._engine.begin() as connection:
            result = connection.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
                .values(lease_until=lease_until)
            )
        return result.rowcount == 1

    def complete(self, job_id: str, owner: str, now: float, result: dict[str, Any] | None) -> str:
        """The run succeeded: ``done``, or ``queued`` when another run was asked for while it
        ran. Returns the new state (``lost`` when the lease had passed to another worker)."""
        c = jobs.c
        encoded = None if result is None else json.dumps(result, separators=(",", ":"))
        with self._engine.begin() as connection:
            done = connection.execute(
                jobs.update()
                .where(c.id == job_id, c.lease_owner == owner, c.state == "running")
                .values(
                    state="done",
                    key=None,
                    lease_owner=None,
                    lease_until=None,
                    result=encoded,
                    last_error=None,
                    finished_at=now,
                )
            )
            if done.rowcount == 1:
                return "done"
            again = connection.execute(
                jobs.update()
                .where(c.id == job_id, c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None, attempts=0, result=encoded)
            )
        return "queued" if again.rowcount == 1 else "lost"

    def retry(
        self,
        job_id: str,
        owner: str,
        now: float,
        error: str,
        run_after: float,
        *,
        attempts: int | None = None,
        final: bool = False,
    ) -> str:
        """The run failed: ``queued`` again until ``run_after``, or ``failed`` when it was the
        last attempt (or ``final``). ``attempts`` overrides the count (a handler that made
        progress before failing starts counting again). Returns the new state, or ``lost``."""
        c = jobs.c
        count = c.attempts if attempts is None else sa.literal(attempts)
        exhausted = sa.true() if final else count >= c.max_attempts
        with self._engine.begin() as connection:
            result = connection.execute(
                jobs.update()
                .where(c.id == job_id, c.lease_owner == owner)
                .values(
                    state=sa.case((exhausted, "failed"), else_="queued"),
                    key=sa.case((exhausted, None), else_=c.key),
                    finished_at=sa.case((exhausted, now), else_=None),
                    attempts=count,
                    run_after=run_after,
                    lease_owner=None,
                    lease_until=None,
                    last_error=error[:MAX_ERROR],
                )
                .returning(c.state)
            ).first()
        return "lost" if result is None else str(result.state)

    def release(self, job_id: str, owner: str) -> bool:
        """Give the job back without counting the attempt (a clean shutdown mid-run)."""
        c = jobs.c
        with self._engine.begin() as connection:
            result = connection.execute(
                jobs.update()
                .where(c.id == job_id, c.lease_owner == owner)
                .values(
                    state="queued",
                    lease_owner=None,
                    lease_until=None,
                    attempts=sa.case((c.attempts > 0, c.attempts - 1), else_=0),
                )
            )
        return result.rowcount == 1

    # --- housekeeping -------------------------------------------------------------------

    def prune(self, before: float, batch: int = BATCH) -> int:
        """Delete the jobs that finished (done or failed) before ``before``; how many went."""
        c = jobs.c
        where = sa.and_(c.state.in_(FINISHED), c.finished_at < before)
        return delete_in_batches(self._engine, jobs, c.id, where, batch)


def _record(row: sa.Row[Any]) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        payload=json.loads(row.payload),
        key=row.key,
        state=row.state,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=row.run_after,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        last_error=row.last_error,
        result=None if row.result is None else json.loads(row.result),
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


__all__ = ["LIVE", "JobQueries"]
