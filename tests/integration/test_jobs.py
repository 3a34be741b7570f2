"""The durable job queue on real SQLite: dedupe keys, leases that expire when a worker dies,
exponential backoff, the last attempt, a clean stop, and the admin view at /api/v1/jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from cargohold.jobs.runner import Fail, Handler, Handlers, JobRunner, Retry
from cargohold.records.jobs import JobRecord
from cargohold.registry.jobs import BACKOFF_BASE
from cargohold.registry.registry import Registry
from tests.integration.accounts import basic, create_user
from tests.integration.conftest import AUTH, Clock

pytestmark = pytest.mark.anyio
LEASE = 10.0


def runner(registry: Registry, handlers: dict[str, Handler], owner: str = "w1") -> JobRunner:
    @asynccontextmanager
    async def factory() -> AsyncIterator[Handlers]:
        yield handlers

    return JobRunner(registry.jobs, factory, lease=LEASE, owner=owner, poll_interval=0.05)


def recording(seen: list[JobRecord], outcome: Callable[[JobRecord], Any] | None = None) -> Handler:
    async def handle(job: JobRecord) -> dict[str, Any] | None:
        seen.append(job)
        if outcome is not None:
            result: dict[str, Any] | None = outcome(job)
            return result
        return {"ok": True}

    return handle


async def test_a_job_runs_once_and_records_its_result(registry: Registry) -> None:
    seen: list[JobRecord] = []
    job_id = await registry.jobs.enqueue("test.echo", {"n": 1})
    async with runner(registry, {"test.echo": recording(seen)}) as jobs:
        assert await jobs.drain() == 1
        assert await jobs.drain() == 0
    assert [j.payload for j in seen] == [{"n": 1}]
    done = await registry.jobs.get(job_id)
    assert (done.state, done.attempts, done.result, done.key) == ("done", 1, {"ok": True}, None)
    assert done.finished_at is not None and done.lease_owner is None


async def test_a_dedupe_key_names_one_live_job(registry: Registry) -> None:
    first = await registry.jobs.enqueue("test.echo", {"n": 1}, key="k")
    assert await registry.jobs.enqueue("test.echo", {"n": 2}, key="k") == first
    other = await registry.jobs.enqueue("test.echo", {"n": 3}, key="other")
    assert other != first
    seen: list[JobRecord] = []
    async with runner(registry, {"test.echo": recording(seen)}) as jobs:
        assert await jobs.drain() == 2
        # Once the job is done, the key is free: a new enqueue makes a new job.
        again = await registry.jobs.enqueue("test.echo", {"n": 4}, key="k")
        assert again not in (first, other)
        assert await jobs.drain() == 1
    assert sorted(j.payload["n"] for j in seen) == [1, 3, 4]


async def test_an_enqueue_while_the_job_runs_makes_it_run_once_more(registry: Registry) -> None:
    runs: list[JobRecord] = []

    async def handle(job: JobRecord) -> None:
        runs.append(job)
        if len(runs) == 1:  # something new arrives while the first run works
            assert await registry.jobs.enqueue("test.echo", {}, key="k") == job.id

    job_id = await registry.jobs.enqueue("test.echo", {}, key="k")
    async with runner(registry, {"test.echo": handle}) as jobs:
        assert await jobs.drain() == 2
    assert [r.id for r in runs] == [job_id, job_id]
    done = await registry.jobs.get(job_id)
    assert (done.state, done.key) == ("done", None)


async def test_a_dead_workers_job_is_claimed_again_when_its_lease_expires(
    registry: Registry, clock: Clock
) -> None:
    job_id = await registry.jobs.enqueue("test.echo", {})
    leases = registry.jobs.leases
    crashed = await leases.claim("dead-worker", LEASE, ["test.echo"])
    assert crashed is not None and crashed.id == job_id
    seen: list[JobRecord] = []
    async with runner(registry, {"test.echo": recording(seen)}, owner="w2") as jobs:
        assert await jobs.drain() == 0  # the lease still holds
        clock.advance(LEASE + 1)
        assert await jobs.drain() == 1
    assert [(j.id, j.attempts, j.lease_owner) for j in seen] == [(job_id, 2, "w2")]
    # The dead worker's late word changes nothing.
    assert await leases.complete(crashed, "dead-worker", {"late": True}) == "lost"
    done = await registry.jobs.get(job_id)
    assert (done.state, done.result) == ("done", {"ok": True})


async def test_failures_are_retried_with_exponential_backoff(
    registry: Registry, clock: Clock
) -> None:
    def broken(job: JobRecord) -> None:
        raise ConnectionError("the other side is down")

    seen: list[JobRecord] = []
    job_id = await registry.jobs.enqueue("test.flaky", {}, max_attempts=5)
    waits = []
    async with runner(registry, {"test.flaky": recording(seen, broken)}) as jobs:
        for attempt in range(1, 4):
            assert await jobs.drain() == 1
            job = await registry.jobs.get(job_id)
            assert (job.state, job.attempts) == ("queued", attempt)
            assert job.last_error == "ConnectionError: the other side is down"
            waits.append(job.run_after - clock.now)
            assert await jobs.drain() == 0  # not before its time
            clock.advance(waits[-1])
    for attempt, wait in enumerate(waits, start=1):
        expected = BACKOFF_BASE * 2 ** (attempt - 1)
        assert expected <= wait <= expected * 1.1


async def test_after_the_last_attempt_the_job_fails_and_frees_its_key(
    registry: Registry, clock: Clock
) -> None:
    def refuse(job: JobRecord) -> None:
        raise Retry("not yet", delay=1)

    job_id = await registry.jobs.enqueue("test.flaky", {}, key="k", max_attempts=3)
    async with runner(registry, {"test.flaky": recording([], refuse)}) as jobs:
        for _ in range(3):
            assert await jobs.drain() == 1
            clock.advance(1)
        assert await jobs.drain() == 0
    failed = await registry.jobs.get(job_id)
    assert (failed.state, failed.attempts, failed.key) == ("failed", 3, None)
    assert failed.last_error == "not yet" and failed.finished_at is not None
    assert await registry.jobs.enqueue("test.flaky", {}, key="k") != job_id


async def test_fail_ends_the_job_at_once(registry: Registry) -> None:
    def impossible(job: JobRecord) -> None:
        raise Fail("the payload names nothing")

    job_id = await registry.jobs.enqueue("test.flaky", {})
    async with runner(registry, {"test.flaky": recording([], impossible)}) as jobs:
        assert await jobs.drain() == 1
    failed = await registry.jobs.get(job_id)
    assert (failed.state, failed.attempts, failed.last_error) == (
        "failed",
        1,
        "the payload names nothing",
    )


async def test_a_worker_that_dies_on_the_last_attempt_fails_the_job(
    registry: Registry, clock: Clock
) -> None:
    job_id = await registry.jobs.enqueue("test.echo", {}, max_attempts=1)
    assert await registry.jobs.leases.claim("dead-worker", LEASE, ["test.echo"]) is not None
    clock.advance(LEASE + 1)
    seen: list[JobRecord] = []
    async with runner(registry, {"test.echo": recording(seen)}) as jobs:
        assert await jobs.drain() == 0
    assert seen == []
    failed = await registry.jobs.get(job_id)
    assert failed.state == "failed"
    assert "stopped" in (failed.last_error or "")


async def test_only_kinds_with_a_handler_are_claimed(registry: Registry) -> None:
    job_id = await registry.jobs.enqueue("test.unknown", {})
    async with runner(registry, {"test.echo": recording([])}) as jobs:
        assert await jobs.drain() == 0
    assert (await registry.jobs.get(job_id)).state == "queued"


async def test_the_runner_runs_enqueued_jobs_in_the_background(registry: Registry) -> None:
    finished = asyncio.Event()

    async def handle(job: JobRecord) -> None:
        finished.set()

    jobs = runner(registry, {"test.echo": handle})
    await jobs.start()
    try:
        job_id = await registry.jobs.enqueue("test.echo", {})
        await asyncio.wait_for(finished.wait(), 10)
        await wait_until(lambda: state_of(registry, job_id), "done")
    finally:
        await jobs.stop()


async def test_stopping_gives_a_running_job_back_without_counting_it(registry: Registry) -> None:
    started = asyncio.Event()

    async def stuck(job: JobRecord) -> None:
        started.set()
        await asyncio.Event().wait()  # never ends by itself

    job_id = await registry.jobs.enqueue("test.stuck", {})
    jobs = runner(registry, {"test.stuck": stuck})
    await jobs.start()
    await asyncio.wait_for(started.wait(), 10)
    await jobs.stop(grace=0.1)
    given_back = await registry.jobs.get(job_id)
    assert (given_back.state, given_back.attempts, given_back.lease_owner) == ("queued", 0, None)


async def state_of(registry: Registry, job_id: str) -> str:
    return (await registry.jobs.get(job_id)).state


async def wait_until(read: Callable[[], Awaitable[str]], expected: str, within: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (value := await read()) != expected:
        assert loop.time() < deadline, f"still {value!r}, not {expected!r}"
        await asyncio.sleep(0.02)


async def test_jobs_are_listed_for_admins_newest_first_with_filters(
    registry: Registry, client: httpx.AsyncClient, clock: Clock
) -> None:
    ids = []
    for n in range(3):
        ids.append(await registry.jobs.enqueue("test.echo", {"n": n}))
        clock.advance(0.01)
    other = await registry.jobs.enqueue("test.other", {})
    async with runner(registry, {"test.other": recording([])}) as jobs:
        await jobs.drain()

    page = await client.get("/api/v1/jobs", params={"kind": "test.echo", "limit": 2}, headers=AUTH)
    assert page.status_code == 200, page.text
    body = page.json()
    assert [j["id"] for j in body["items"]] == [ids[2], ids[1]]
    assert 'rel="next"' in page.headers["link"]
    rest = await client.get(
        "/api/v1/jobs", params={"kind": "test.echo", "after": body["next"]}, headers=AUTH
    )
    assert [j["id"] for j in rest.json()["items"]] == [ids[0]]
    assert rest.json()["next"] is None

    done = await client.get("/api/v1/jobs", params={"state": "done"}, headers=AUTH)
    assert [j["id"] for j in done.json()["items"]] == [other]
    one = await client.get(f"/api/v1/jobs/{ids[0]}", headers=AUTH)
    assert one.status_code == 200
    shown = one.json()
    assert shown["kind"] == "test.echo" and shown["payload"] == {"n": 0}
    assert (shown["state"], shown["attempts"], shown["maxAttempts"]) == ("queued", 0, 10)


async def test_the_jobs_api_is_for_admins_and_refuses_bad_input(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "reader", "reader-password")
    for path in ("/api/v1/jobs", "/api/v1/jobs/0123"):
        assert (await client.get(path)).status_code == 401
        assert (
            await client.get(path, headers=basic("reader", "reader-password"))
        ).status_code == 403
    for params in ({"state": "sleeping"}, {"limit": "0"}, {"after": "x" * 300}, {"after": "1"}):
        response = await client.get("/api/v1/jobs", params=params, headers=AUTH)
        assert response.status_code == 400, params
        assert response.headers["content-type"] == "application/problem+json"
    missing = await client.get("/api/v1/jobs/nope", headers=AUTH)
    assert missing.status_code == 404
    assert "does not exist" in missing.json()["detail"]
