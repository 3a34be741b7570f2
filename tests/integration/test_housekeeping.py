"""Housekeeping as the recurring job runs it: abandoned uploads are cancelled and their bytes
freed while a fresh upload goes on, stored uploads no session names any more go too, old
rows are pruned, and the audit log stays unless the operator set a retention for it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest

from cargohold.app import build_registry, open_stores
from cargohold.jobs import JobRunner, job_handlers
from cargohold.jobs.runner import Handlers
from cargohold.records.identity import AuditFilter
from cargohold.registry.housekeeping.job import HOUSEKEEPING_JOB
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.images import make_image, sha256
from tests.integration.conftest import AUTH, Clock
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio
DAY = 86_400.0


async def start(client: httpx.AsyncClient, name: str, data: bytes) -> str:
    """An upload with ``data`` received so far; its URL."""
    started = await client.post(f"/v2/{name}/blobs/uploads/", headers=AUTH)
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    sent = await client.patch(location, content=data, headers=AUTH)
    assert sent.status_code == 202, sent.text
    return location


def upload_id(location: str) -> str:
    return location.rpartition("/")[2]


def age(settings: Settings, location: str, seconds: float) -> None:
    """Make the upload look started, and last written to, ``seconds`` ago."""
    when = os.stat(settings.blob_root / "uploads" / upload_id(location)).st_mtime - seconds
    os.utime(settings.blob_root / "uploads" / upload_id(location), (when, when))
    with contextlib.closing(sqlite3.connect(settings.data_dir / "cargohold.db")) as db, db:
        db.execute("UPDATE uploads SET created_at = ? WHERE id = ?", (when, upload_id(location)))


def stored_uploads(settings: Settings) -> set[str]:
    return set(os.listdir(settings.blob_root / "uploads"))


async def run_housekeeping(registry: Registry) -> dict[str, object]:
    """Queue the job as a server's start does, and let a worker run it."""
    job_id = await registry.housekeeping.schedule()
    assert job_id is not None

    @asynccontextmanager
    async def handlers() -> AsyncIterator[Handlers]:
        async with job_handlers(registry) as every:  # not the scans a push queued
            yield {HOUSEKEEPING_JOB: every[HOUSEKEEPING_JOB]}

    async with JobRunner(registry.jobs, handlers) as runner:
        ran = await runner.run_once()
    assert ran is not None and ran.id == job_id and ran.kind == HOUSEKEEPING_JOB
    job = await registry.jobs.get(job_id)
    assert job.result is not None
    return job.result


async def test_abandoned_uploads_are_cancelled_and_a_fresh_one_goes_on(
    client: httpx.AsyncClient, registry: Registry, settings: Settings, clock: Clock
) -> None:
    abandoned = await start(client, "dev/team/app", b"a" * 100_000)
    fresh_data = os.urandom(300_000)
    fresh = await start(client, "dev/team/app", fresh_data[:150_000])
    # A repository deleted with uploads in progress takes their sessions, not their bytes.
    created = await client.post(
        "/api/v1/repositories", json={"key": "scratch", "format": "docker"}, headers=AUTH
    )
    assert created.status_code == 201, created.text
    unnamed = await start(client, "scratch/tmp", b"u" * 50_000)
    unnamed_recent = await start(client, "scratch/tmp", b"r" * 10)
    age(settings, abandoned, 2 * DAY)
    age(settings, unnamed, 2 * DAY)
    deleted = await client.delete("/api/v1/repositories/scratch", headers=AUTH)
    assert deleted.status_code == 200, deleted.text

    result = await run_housekeeping(registry)
    assert result["uploadsCancelled"] == 1
    assert result["unnamedUploadsRemoved"] == 1
    assert result["bytesFreed"] == 150_000
    assert stored_uploads(settings) == {upload_id(fresh), upload_id(unnamed_recent)}
    assert (await client.get(abandoned, headers=AUTH)).status_code == 404

    # The fresh upload goes on as if nothing happened.
    done = await client.put(
        fresh,
        params={"digest": sha256(fresh_data)},
        content=fresh_data[150_000:],
        headers={**AUTH, "Content-Range": f"150000-{len(fresh_data) - 1}"},
    )
    assert done.status_code == 201, done.text
    blob = await client.get(f"/v2/dev/team/app/blobs/{sha256(fresh_data)}", headers=AUTH)
    assert blob.content == fresh_data

    # The job queued its next run an interval later, with this run's result to show.
    [job] = await registry.jobs.list(None, HOUSEKEEPING_JOB, None, 10)
    assert job.state == "queued" and job.result == result
    assert job.run_after == pytest.approx(clock.now + 3600)


async def test_old_rows_are_pruned_and_the_audit_log_kept_unless_told(
    client: httpx.AsyncClient, registry: Registry, settings: Settings, clock: Clock
) -> None:
    await registry.jobs.enqueue("test.other", {})
    await push_image(client, "dev/team/app", "1.0", make_image([{"app": b"v1"}]))  # an event
    trail = await registry.audit.query(AuditFilter(), None, 100)
    assert trail

    clock.advance(100 * DAY)
    result = await run_housekeeping(registry)
    assert result["eventsRemoved"] == 1
    assert result["auditRecordsRemoved"] == 0
    assert await registry.audit.query(AuditFilter(), None, 100) == trail
    [other] = await registry.jobs.list(None, "test.other", None, 10)
    assert other.state == "queued"  # live jobs stay, however old

    store, meta = open_stores(settings, migrate=False)
    try:
        told = build_registry(replace(settings, audit_retention_days=30), store, meta, clock)
        clock.advance(2 * 3600)  # the next scheduled run is due
        result = await run_housekeeping(told)
        assert result["auditRecordsRemoved"] == len(trail)
        assert await told.audit.query(AuditFilter(), None, 100) == []
    finally:
        meta.close()
