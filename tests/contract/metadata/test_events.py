"""Events, webhooks and their deliveries: what the emitter and the delivery jobs rely on."""

from __future__ import annotations

import pytest

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.events import EventRecord, WebhookRecord
from cargohold.records.identity import AuditFilter
from tests.contract.metadata.examples import audit, delivery, event


def webhook(webhook_id: str, *, enabled: bool = True) -> WebhookRecord:
    return WebhookRecord(
        webhook_id,
        f"hook {webhook_id}",
        f"https://ci.example/{webhook_id}",
        "secret",
        ("dev", "prod*"),
        ("push", "delete"),
        enabled,
        10.0,
        "alice",
    )


@pytest.fixture(autouse=True)
def webhooks(meta: MetadataStore) -> None:
    meta.webhooks.create(webhook("w1"))
    meta.webhooks.create(webhook("w2", enabled=False))


def announce(
    meta: MetadataStore, event_id: str, subject: str, *hooks: str
) -> tuple[int, tuple[str, ...]]:
    """Commit one event with a delivery to each of ``hooks``: its seq and the jobs queued."""
    deliveries = tuple(delivery(f"{event_id}-{w}", w, subject) for w in hooks)
    done = meta.effects.commit(Effects(50.0, events=((event(event_id, subject), deliveries),)))
    return done.events[0], done.jobs


def test_an_event_reads_back_with_the_seq_it_was_given(meta: MetadataStore) -> None:
    seq, _ = announce(meta, "e1", "team/app")
    assert meta.events.get("e1") == EventRecord(
        seq,
        "e1",
        "dev.cargohold.artifact.push",
        "/repositories/dev",
        "team/app",
        "dev",
        100.0,
        {"tag": "1.0"},
    )
    assert meta.events.get("e2") is None


def test_events_of_a_subject_get_increasing_seqs(meta: MetadataStore) -> None:
    seqs = [announce(meta, f"e{i}", "team/app" if i % 2 else "team/other")[0] for i in range(6)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 6
    done = meta.effects.commit(
        Effects(
            1.0,
            events=(
                (event("a", "team/app"), ()),
                (event("b", "team/app"), ()),
            ),
        )
    )
    assert done.events[0] < done.events[1]
    assert seqs[-1] < done.events[0]


def test_deliveries_are_made_only_for_webhooks_that_still_exist(meta: MetadataStore) -> None:
    assert meta.webhooks.delete("w2")
    _, jobs = announce(meta, "e1", "team/app", "w1", "w2", "gone")
    assert [d.id for d in meta.deliveries.page("w1", None, None, 10)] == ["e1-w1"]
    assert meta.deliveries.page("w2", None, None, 10) == []
    assert len(jobs) == 1
    job = meta.jobs.get(jobs[0])
    assert job is not None and job.key == "deliver:w1:team/app"


def test_deliveries_of_one_subject_share_one_job(meta: MetadataStore) -> None:
    _, first = announce(meta, "e1", "team/app", "w1")
    _, second = announce(meta, "e2", "team/app", "w1")
    _, other = announce(meta, "e3", "team/other", "w1")
    assert first == second != other
    assert len(meta.jobs.page("queued", None, None, 10)) == 2


def test_a_delivery_reads_back_with_its_event(meta: MetadataStore) -> None:
    seq, _ = announce(meta, "e1", "team/app", "w1")
    [stored] = meta.deliveries.page("w1", None, None, 10)
    assert (stored.id, stored.webhook_id, stored.state, stored.attempts) == (
        "e1-w1",
        "w1",
        "pending",
        0,
    )
    assert (stored.status_code, stored.error, stored.created_at, stored.delivered_at) == (
        None,
        None,
        50.0,
        None,
    )
    assert stored.event == meta.events.get("e1")
    assert stored.event.seq == seq


def test_pending_deliveries_go_out_oldest_first_per_subject(meta: MetadataStore) -> None:
    for event_id in ("e1", "e2"):
        announce(meta, event_id, "team/app", "w1")
    announce(meta, "e3", "team/other", "w1")
    pending = meta.deliveries.next_pending
    first = pending("w1", "dev", "team/app")
    assert first is not None and first.id == "e1-w1"
    assert meta.deliveries.begin_attempt("e1-w1") == 1
    assert meta.deliveries.begin_attempt("e1-w1") == 2
    meta.deliveries.finish_attempt("e1-w1", "pending", 503, "busy", 60.0)
    retried = pending("w1", "dev", "team/app")
    assert retried is not None
    assert (retried.id, retried.attempts, retried.status_code, retried.error) == (
        "e1-w1",
        2,
        503,
        "busy",
    )
    meta.deliveries.finish_attempt("e1-w1", "delivered", 204, None, 61.0)
    assert meta.deliveries.begin_attempt("e1-w1") == 0  # no longer pending
    second = pending("w1", "dev", "team/app")
    assert second is not None and second.id == "e2-w1"
    meta.deliveries.finish_attempt("e2-w1", "failed", None, "x" * 3000, 62.0)
    assert pending("w1", "dev", "team/app") is None
    other = pending("w1", "dev", "team/other")
    assert other is not None and other.id == "e3-w1"
    assert pending("w1", "prod", "team/app") is None
    states = {d.id: (d.state, d.delivered_at) for d in meta.deliveries.page("w1", None, None, 9)}
    assert states == {
        "e1-w1": ("delivered", 61.0),
        "e2-w1": ("failed", None),
        "e3-w1": ("pending", None),
    }
    [failed] = meta.deliveries.page("w1", "failed", None, 10)
    assert failed.error == "x" * 1000


def test_deliveries_list_newest_event_first_a_page_at_a_time(meta: MetadataStore) -> None:
    seqs = [announce(meta, f"e{i}", "team/app", "w1")[0] for i in range(5)]
    page = meta.deliveries.page
    assert [d.event.seq for d in page("w1", None, None, 10)] == seqs[::-1]
    assert [d.id for d in page("w1", None, None, 2)] == ["e4-w1", "e3-w1"]
    assert [d.id for d in page("w1", None, seqs[3], 2)] == ["e2-w1", "e1-w1"]
    assert [d.id for d in page("w1", "pending", seqs[1], 10)] == ["e0-w1"]
    assert page("w1", "delivered", None, 10) == []


def test_webhooks_read_back_list_and_change(meta: MetadataStore) -> None:
    assert meta.webhooks.get("w1") == webhook("w1")
    assert meta.webhooks.get("none") is None
    assert [w.id for w in meta.webhooks.page(None, 10)] == ["w1", "w2"]
    assert [w.id for w in meta.webhooks.page("w1", 10)] == ["w2"]
    assert [w.id for w in meta.webhooks.page(None, 1)] == ["w1"]
    assert [w.id for w in meta.webhooks.enabled()] == ["w1"]
    changed = meta.webhooks.update("w2", {"enabled": True, "events": ["promote"]})
    assert changed is not None and (changed.enabled, changed.events) == (True, ("promote",))
    assert changed.repositories == ("dev", "prod*")
    assert meta.webhooks.update("w2", {}) == changed
    assert meta.webhooks.update("none", {"enabled": True}) is None
    assert sorted(w.id for w in meta.webhooks.enabled()) == ["w1", "w2"]


def recorded(action: str) -> Effects:
    """The effects of an administrator's change: its audit record."""
    return Effects(1.0, audit=(audit(action, action, repository=None),))


def test_webhook_changes_commit_their_effects_and_those_of_no_webhook_none(
    meta: MetadataStore,
) -> None:
    meta.webhooks.create(webhook("w3"), recorded("create"))
    assert meta.webhooks.update("w3", {"enabled": False}, recorded("update")) is not None
    assert meta.webhooks.update("w3", {}, recorded("unchanged")) is not None
    assert meta.webhooks.update("none", {"enabled": True}, recorded("missing")) is None
    assert meta.webhooks.update("none", {}, recorded("missing")) is None
    assert meta.webhooks.delete("w3", recorded("delete"))
    assert not meta.webhooks.delete("w3", recorded("missing"))
    audited = meta.audit.query(AuditFilter(), None, 100)
    assert [r.action for r in reversed(audited)] == ["create", "update", "unchanged", "delete"]


def test_deleting_a_webhook_deletes_its_deliveries(meta: MetadataStore) -> None:
    announce(meta, "e1", "team/app", "w1", "w2")
    assert meta.webhooks.delete("w1") is True
    assert meta.webhooks.delete("w1") is False
    assert meta.webhooks.get("w1") is None
    assert meta.deliveries.page("w1", None, None, 10) == []
    assert [d.id for d in meta.deliveries.page("w2", None, None, 10)] == ["e1-w2"]
    assert meta.events.get("e1") is not None
