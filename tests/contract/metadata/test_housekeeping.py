"""What housekeeping removes and what it must keep: old events (not those a webhook delivery
still names), finished jobs (never live ones), finished deliveries (never pending ones), the
audit log (only when asked), and the upload sessions it finds abandoned."""

from __future__ import annotations

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.events import WebhookRecord
from cargohold.records.identity import AuditFilter
from cargohold.records.jobs import NewJob
from tests.contract.metadata.examples import audit, delivery, event, repository

OLD, CUTOFF, YOUNG = 100.0, 300.0, 1000.0


def announce(meta: MetadataStore, event_id: str, at: float, *hooks: str) -> int:
    """An event of time ``at`` with a delivery to each of ``hooks``, made then; its seq."""
    deliveries = tuple(delivery(f"{event_id}-{w}", w, f"team/{event_id}") for w in hooks)
    effects = Effects(at, events=((event(event_id, f"team/{event_id}", time=at), deliveries),))
    return meta.effects.commit(effects).events[0]


def test_events_go_when_old_unless_a_delivery_still_names_them(meta: MetadataStore) -> None:
    meta.webhooks.create(
        WebhookRecord("w1", "hook", "https://ci.example/", "s", ("dev",), ("push",), True, 1.0, "a")
    )
    announce(meta, "delivered", OLD, "w1")
    announce(meta, "pending", OLD, "w1")
    announce(meta, "failed", OLD, "w1")
    announce(meta, "alone", OLD)
    announce(meta, "recent", YOUNG, "w1")
    meta.deliveries.finish_attempt("delivered-w1", "delivered", 200, None, OLD + 1)
    meta.deliveries.finish_attempt("failed-w1", "failed", 500, "gave up", OLD + 1)
    meta.deliveries.finish_attempt("recent-w1", "delivered", 200, None, YOUNG + 1)

    # The events of finished deliveries wait for their deliveries to go.
    assert meta.events.prune(CUTOFF) == 1
    assert meta.events.get("alone") is None
    assert meta.deliveries.prune(CUTOFF) == 2
    states = {d.id: d.state for d in meta.deliveries.page("w1", None, None, 100)}
    assert states == {"pending-w1": "pending", "recent-w1": "delivered"}
    assert meta.events.prune(CUTOFF) == 2
    assert meta.events.get("delivered") is None and meta.events.get("failed") is None
    assert meta.events.get("pending") is not None  # its delivery is still to be sent
    assert meta.events.get("recent") is not None
    assert meta.events.prune(CUTOFF) == 0 and meta.deliveries.prune(CUTOFF) == 0


def test_finished_jobs_go_when_old_and_live_ones_never(meta: MetadataStore) -> None:
    kinds = ["gc"]

    def finished(state: str, at: float) -> str:
        job_id = meta.jobs.enqueue(NewJob("gc", {"state": state, "at": at}), 0.0)
        claimed = meta.jobs.claim("w", at, at + 60, kinds)
        assert claimed is not None and claimed.id == job_id
        if state == "done":
            meta.jobs.complete(job_id, "w", at, {"ok": True})
        else:
            meta.jobs.retry(job_id, "w", at, "broken", at, final=True)
        return job_id

    old_done, old_failed = finished("done", OLD), finished("failed", OLD)
    young_done = finished("done", YOUNG)
    running = meta.jobs.enqueue(NewJob("gc", {"state": "running"}), 0.0)
    assert meta.jobs.claim("w", OLD, OLD + 60, kinds) is not None
    queued = meta.jobs.enqueue(NewJob("gc", {"state": "queued"}), 0.0)

    assert meta.jobs.prune(CUTOFF) == 2
    assert meta.jobs.get(old_done) is None and meta.jobs.get(old_failed) is None
    left = {job_id: meta.jobs.get(job_id) for job_id in (young_done, running, queued)}
    assert {job_id: job.state for job_id, job in left.items() if job} == {
        young_done: "done",
        running: "running",
        queued: "queued",
    }


def test_the_audit_log_is_pruned_by_age_in_batches(meta: MetadataStore) -> None:
    for i in range(25):
        meta.effects.commit(Effects(OLD, audit=(audit("push", f"old/{i}", time=OLD + i),)))
    meta.effects.commit(Effects(YOUNG, audit=(audit("push", "young", time=YOUNG),)))
    assert meta.audit.prune(CUTOFF, batch=10) == 25
    left = meta.audit.query(AuditFilter(), None, 100)
    assert [record.target for record in left] == ["young"]


def test_upload_sessions_are_found_by_age_and_known_by_id(meta: MetadataStore) -> None:
    repository(meta, "dev")
    ids = [f"{i:032x}" for i in range(3)]
    for upload_id in ids:
        meta.blobs.start_upload(upload_id, "dev", "team/app")
    stranger = "f" * 32
    assert set(meta.uploads.started_before(9e12, 10)) == set(ids)
    assert meta.uploads.started_before(0.0, 10) == []
    assert len(meta.uploads.started_before(9e12, 2)) == 2
    assert meta.uploads.known([*ids, stranger]) == set(ids)
    meta.blobs.end_upload(ids[0])
    assert meta.uploads.known(ids) == set(ids[1:])
