"""Enqueue a job within the transaction of the write that asks for it (see ``meta/jobs.py``
for the queue's states and what a key means)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa

from cargohold.meta.schema import jobs
from cargohold.meta.upsert import dialect_insert
from cargohold.records.jobs import NewJob


def new_job_id(now: float) -> str:
    """32 hex digits that sort by creation time: 12 of milliseconds, 20 random."""
    return f"{int(now * 1000):012x}{secrets.token_hex(10)}"


def enqueue_in(connection: sa.Connection, job: NewJob, now: float) -> str:
    """Enqueue within the caller's transaction; the id of the job that will run it."""
    run_after = now + job.delay
    if job.key is None:
        job_id = new_job_id(now)
        connection.execute(jobs.insert().values(**_row(job_id, job, now, run_after)))
        return job_id
    c = jobs.c
    for _ in range(5):  # each round loses only to a concurrent writer of the same key
        found = connection.execute(sa.select(c.id, c.state).where(c.key == job.key)).first()
        if found is None:
            job_id = new_job_id(now)
            statement = dialect_insert(connection, jobs).values(**_row(job_id, job, now, run_after))
            inserted = connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
            if inserted.rowcount == 1:
                return job_id
            continue
        if found.state == "queued":
            return str(found.id)
        rerun = connection.execute(
            jobs.update()
            .where(c.id == found.id, c.state == "running")
            .values(state="queued", run_after=run_after)
        )
        if rerun.rowcount == 1:
            return str(found.id)
    raise RuntimeError(f"could not enqueue a job with key {job.key!r}: it kept changing")


def _row(job_id: str, job: NewJob, now: float, run_after: float) -> dict[str, Any]:
    return {
        "id": job_id,
        "kind": job.kind,
        "payload": json.dumps(job.payload, separators=(",", ":")),
        "key": job.key,
        "state": "queued",
        "attempts": 0,
        "max_attempts": job.max_attempts,
        "run_after": run_after,
        "created_at": now,
    }


__all__ = ["enqueue_in", "new_job_id"]
