"""The job queue: what workers and the services that enqueue rely on."""

from __future__ import annotations

import threading

from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.jobs import JobRecord, NewJob

KINDS = ("scan", "gc")
NOW = 1000.0


def claim(meta: MetadataStore, owner: str, now: float = NOW, lease: float = 60.0) -> JobRecord:
    job = meta.jobs.claim(owner, now, now + lease, KINDS)
    assert job is not None
    return job


def test_an_enqueued_job_reads_back_queued(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {"digest": "sha256:1"}, max_attempts=3), NOW)
    assert meta.jobs.get(job_id) == JobRecord(
        id=job_id,
        kind="scan",
        payload={"digest": "sha256:1"},
        key=None,
        state="queued",
        attempts=0,
        max_attempts=3,
        run_after=NOW,
        lease_owner=None,
        lease_until=None,
        last_error=None,
        result=None,
        created_at=NOW,
        finished_at=None,
    )
    assert meta.jobs.get("0" * 32) is None


def test_jobs_without_a_key_are_never_merged(meta: MetadataStore) -> None:
    first = meta.jobs.enqueue(NewJob("gc", {}), NOW)
    second = meta.jobs.enqueue(NewJob("gc", {}), NOW)
    assert first != second
    assert len(meta.jobs.page("queued", None, None, 10)) == 2


def test_a_key_names_one_queued_job(meta: MetadataStore) -> None:
    first = meta.jobs.enqueue(NewJob("scan", {"n": 1}, key="scan:a"), NOW)
    again = meta.jobs.enqueue(NewJob("scan", {"n": 2}, key="scan:a"), NOW + 1)
    other = meta.jobs.enqueue(NewJob("scan", {"n": 3}, key="scan:b"), NOW)
    assert again == first != other
    job = meta.jobs.get(first)
    assert job is not None and (job.payload, job.key, job.state) == ({"n": 1}, "scan:a", "queued")
    assert len(meta.jobs.page(None, None, None, 10)) == 2


def test_enqueueing_a_running_key_asks_for_one_more_run_after_it(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}, key="scan:a"), NOW)
    assert claim(meta, "w1").id == job_id
    assert meta.jobs.enqueue(NewJob("scan", {}, key="scan:a", delay=5), NOW + 1) == job_id
    again = meta.jobs.get(job_id)
    assert again is not None
    assert (again.state, again.lease_owner, again.run_after) == ("queued", "w1", NOW + 6)
    # Nobody takes it while the current run holds its lease ...
    assert meta.jobs.claim("w2", NOW + 10, NOW + 70, KINDS) is None
    # ... and when that run ends it is queued for the next one.
    assert meta.jobs.complete(job_id, "w1", NOW + 10, {"ok": True}) == "queued"
    rerun = claim(meta, "w2", NOW + 10)
    assert (rerun.id, rerun.attempts, rerun.lease_owner) == (job_id, 1, "w2")
    assert meta.jobs.complete(job_id, "w2", NOW + 20, None) == "done"


def test_a_claim_takes_the_oldest_due_job_of_the_kinds_asked(meta: MetadataStore) -> None:
    later = meta.jobs.enqueue(NewJob("scan", {}, delay=30), NOW)
    first = meta.jobs.enqueue(NewJob("gc", {}), NOW)
    second = meta.jobs.enqueue(NewJob("scan", {}), NOW + 1)
    meta.jobs.enqueue(NewJob("replicate", {}), NOW)
    assert meta.jobs.due(NOW, KINDS)
    assert not meta.jobs.due(NOW, ["other"])
    assert meta.jobs.claim("w", NOW + 1, NOW + 60, ["other"]) is None
    assert [claim(meta, "w", NOW + 1).id for _ in range(2)] == [first, second]
    assert meta.jobs.claim("w", NOW + 1, NOW + 60, KINDS) is None  # the delayed one waits
    assert not meta.jobs.due(NOW + 29, KINDS)
    assert claim(meta, "w", NOW + 30).id == later


def test_a_claimed_job_records_its_lease(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}), NOW)
    job = claim(meta, "worker-1", NOW, lease=60)
    assert (job.id, job.state, job.attempts) == (job_id, "running", 1)
    assert (job.lease_owner, job.lease_until) == ("worker-1", NOW + 60)
    assert meta.jobs.get(job_id) == job
    assert not meta.jobs.due(NOW + 59, KINDS)


def claim_at_once(stores: list[MetadataStore]) -> list[JobRecord | None]:
    """What each store claims when they all ask at the same moment."""
    ready = threading.Barrier(len(stores))
    taken: list[JobRecord | None] = [None] * len(stores)

    def worker(i: int) -> None:
        ready.wait()
        taken[i] = stores[i].jobs.claim(f"w{i}", NOW, NOW + 60, KINDS)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return taken


def test_two_claimers_never_take_the_same_job(meta: MetadataStore, meta_url: str) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)  # another worker process
    try:
        for round in range(10):
            ids = {meta.jobs.enqueue(NewJob("scan", {"round": round}), NOW) for _ in range(3)}
            taken = claim_at_once([meta, other, meta, other])
            won = [job for job in taken if job is not None]
            assert sorted(job.id for job in won) == sorted(ids)
            assert taken.count(None) == 1
            for job in won:
                assert meta.jobs.complete(job.id, str(job.lease_owner), NOW, None) == "done"
    finally:
        other.close()


def test_an_expired_lease_passes_the_job_to_another_worker(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}), NOW)
    claim(meta, "w1", NOW, lease=60)
    assert meta.jobs.extend(job_id, "w1", NOW + 120)
    assert meta.jobs.claim("w2", NOW + 119, NOW + 180, KINDS) is None
    taken = claim(meta, "w2", NOW + 120)
    assert (taken.id, taken.attempts, taken.lease_owner) == (job_id, 2, "w2")
    # The worker that lost its lease can neither renew nor finish the job.
    assert not meta.jobs.extend(job_id, "w1", NOW + 500)
    assert meta.jobs.complete(job_id, "w1", NOW + 121, None) == "lost"
    assert meta.jobs.retry(job_id, "w1", NOW + 121, "boom", NOW + 200) == "lost"
    assert not meta.jobs.release(job_id, "w1")
    held = meta.jobs.get(job_id)
    assert held is not None and (held.state, held.lease_owner) == ("running", "w2")


def test_a_job_whose_worker_stopped_on_its_last_attempt_fails(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}, key="scan:a", max_attempts=1), NOW)
    claim(meta, "w1", NOW, lease=60)
    assert meta.jobs.claim("w2", NOW + 60, NOW + 120, KINDS) is None
    failed = meta.jobs.get(job_id)
    assert failed is not None
    assert (failed.state, failed.key, failed.finished_at) == ("failed", None, NOW + 60)
    assert failed.last_error == " (the worker running the last attempt stopped)"
    assert meta.jobs.enqueue(NewJob("scan", {}, key="scan:a"), NOW + 61) != job_id


def test_a_failed_run_is_retried_after_its_backoff(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}, key="scan:a", max_attempts=3), NOW)
    claim(meta, "w1", NOW)
    assert meta.jobs.retry(job_id, "w1", NOW + 1, "x" * 5000, NOW + 3) == "queued"
    waiting = meta.jobs.get(job_id)
    assert waiting is not None
    assert (waiting.state, waiting.attempts, waiting.run_after) == ("queued", 1, NOW + 3)
    assert (waiting.lease_owner, waiting.lease_until, waiting.key) == (None, None, "scan:a")
    assert waiting.last_error == "x" * 2000
    assert waiting.finished_at is None
    assert meta.jobs.claim("w1", NOW + 2, NOW + 60, KINDS) is None
    assert claim(meta, "w2", NOW + 3).attempts == 2


def test_the_last_failed_attempt_fails_the_job_and_frees_its_key(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}, key="scan:a", max_attempts=2), NOW)
    claim(meta, "w", NOW)
    assert meta.jobs.retry(job_id, "w", NOW, "first", NOW + 2) == "queued"
    claim(meta, "w", NOW + 2)
    assert meta.jobs.retry(job_id, "w", NOW + 3, "second", NOW + 10) == "failed"
    failed = meta.jobs.get(job_id)
    assert failed is not None
    assert (failed.state, failed.attempts, failed.key) == ("failed", 2, None)
    assert (failed.last_error, failed.finished_at) == ("second", NOW + 3)
    assert meta.jobs.claim("w", NOW + 100, NOW + 160, KINDS) is None
    assert meta.jobs.enqueue(NewJob("scan", {}, key="scan:a"), NOW + 4) != job_id


def test_a_retry_can_be_final_or_restart_the_count(meta: MetadataStore) -> None:
    final = meta.jobs.enqueue(NewJob("scan", {}, max_attempts=5), NOW)
    claim(meta, "w", NOW)
    assert meta.jobs.retry(final, "w", NOW, "bad input", NOW, final=True) == "failed"
    progressed = meta.jobs.enqueue(NewJob("gc", {}, max_attempts=2), NOW)
    claim(meta, "w", NOW)
    assert meta.jobs.retry(progressed, "w", NOW, "e", NOW + 1) == "queued"
    claim(meta, "w", NOW + 1)  # the last attempt ...
    # ... made progress before it failed: it counts as the first failure of what remains.
    assert meta.jobs.retry(progressed, "w", NOW + 1, "e", NOW + 2, attempts=1) == "queued"
    job = meta.jobs.get(progressed)
    assert job is not None and (job.state, job.attempts) == ("queued", 1)


def test_a_completed_job_is_done_with_its_result(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}, key="scan:a"), NOW)
    claim(meta, "w", NOW)
    assert meta.jobs.complete(job_id, "w", NOW + 5, {"components": 12}) == "done"
    done = meta.jobs.get(job_id)
    assert done is not None
    assert (done.state, done.result, done.finished_at) == ("done", {"components": 12}, NOW + 5)
    assert (done.key, done.lease_owner, done.lease_until) == (None, None, None)
    assert meta.jobs.complete(job_id, "w", NOW + 6, None) == "lost"
    assert meta.jobs.enqueue(NewJob("scan", {}, key="scan:a"), NOW + 6) != job_id


def test_a_released_job_is_queued_without_counting_the_attempt(meta: MetadataStore) -> None:
    job_id = meta.jobs.enqueue(NewJob("scan", {}), NOW)
    claim(meta, "w1", NOW)
    assert meta.jobs.release(job_id, "w1")
    released = meta.jobs.get(job_id)
    assert released is not None
    assert (released.state, released.attempts, released.lease_owner) == ("queued", 0, None)
    assert claim(meta, "w2", NOW).attempts == 1


def test_jobs_list_newest_first_a_page_at_a_time(meta: MetadataStore) -> None:
    ids = [meta.jobs.enqueue(NewJob(kind, {}), NOW + i) for i, kind in enumerate(KINDS * 3)]
    newest = list(reversed(ids))
    assert [j.id for j in meta.jobs.page(None, None, None, 10)] == newest
    assert [j.id for j in meta.jobs.page(None, None, None, 2)] == newest[:2]
    assert [j.id for j in meta.jobs.page(None, None, newest[1], 3)] == newest[2:5]
    assert [j.id for j in meta.jobs.page(None, "gc", None, 10)] == newest[0::2]
    claim(meta, "w", NOW + 10)
    assert [j.id for j in meta.jobs.page("running", None, None, 10)] == [ids[0]]
    assert [j.id for j in meta.jobs.page("queued", "scan", None, 10)] == [ids[4], ids[2]]
