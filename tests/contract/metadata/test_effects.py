"""The outbox: a write commits its audit record, events with their webhook deliveries, scan
requests and jobs in its own transaction, and a write that is refused commits none of them."""

from __future__ import annotations

import pytest

from cargohold.core.errors import Conflict, Denied, TagImmutable
from cargohold.meta.effects import Effects, ScanRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.events import WebhookRecord
from cargohold.records.generic import GenericFileRecord
from cargohold.records.identity import AuditFilter
from cargohold.records.jobs import NewJob
from tests.contract.metadata.examples import (
    digest,
    everything,
    file,
    manifest,
    new_manifest,
    repository,
)

WEBHOOK = WebhookRecord("w1", "ci", "https://ci.example/hook", "s", ("*",), ("push",), True, 1, "a")


@pytest.fixture(autouse=True)
def setup(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "prod", immutable_tags=True)
    meta.webhooks.create(WEBHOOK)


def stored(meta: MetadataStore, tag: str) -> dict[str, object]:
    """What of ``everything(tag)`` the database holds."""
    event = meta.events.get(f"event-{tag}")
    scan = meta.scans.get(digest(f"scanned-{tag}"))
    return {
        "audit": [r.action for r in meta.audit.query(AuditFilter(), None, 100)],
        "event": None if event is None else (event.type, event.subject, event.data),
        "deliveries": [d.id for d in meta.deliveries.page("w1", None, None, 100)],
        "scan": None if scan is None else (scan.status, scan.cache_key),
        "jobs": sorted(j.kind for j in meta.jobs.page(None, None, None, 100)),
    }


def committed(tag: str) -> dict[str, object]:
    return {
        "audit": [f"{tag}.audit"],
        "event": ("dev.cargohold.artifact.push", f"team/{tag}", {"tag": "1.0"}),
        "deliveries": [f"d-{tag}"],
        "scan": ("pending", "cache-1"),
        "jobs": ["gc", "scan", "webhook.deliver"],
    }


NOTHING: dict[str, object] = {
    "audit": [],
    "event": None,
    "deliveries": [],
    "scan": None,
    "jobs": [],
}


def test_a_push_commits_all_its_effects(meta: MetadataStore) -> None:
    effects = everything("push", webhook="w1")
    meta.manifests.put(new_manifest("dev", "team/app", manifest("image"), "1.0"), effects)
    assert stored(meta, "push") == committed("push")


def test_a_refused_tag_move_commits_none_of_its_effects(meta: MetadataStore) -> None:
    meta.manifests.put(new_manifest("prod", "team/app", manifest("first"), "1.0"))
    moved = new_manifest("prod", "team/app", manifest("second"), "1.0", immutable_tags=True)
    with pytest.raises(TagImmutable):
        meta.manifests.put(moved, everything("push", webhook="w1"))
    assert stored(meta, "push") == NOTHING


def test_a_refused_tag_or_manifest_delete_commits_none_of_its_effects(
    meta: MetadataStore,
) -> None:
    record = manifest("image")
    meta.manifests.put(new_manifest("prod", "team/app", record, "1.0"))
    with pytest.raises(TagImmutable):
        meta.manifests.delete_tag(
            "prod", "team/app", "1.0", immutable_tags=True, effects=everything("push", webhook="w1")
        )
    with pytest.raises(TagImmutable):
        meta.manifests.delete(
            "prod", "team/app", record.digest, immutable_tags=True, effects=everything("push")
        )
    assert stored(meta, "push") == NOTHING


def test_deleting_what_is_not_there_commits_no_effects(meta: MetadataStore) -> None:
    effects = everything("push", webhook="w1")
    assert meta.manifests.delete("dev", "team/app", digest("none"), effects=effects) is False
    assert meta.manifests.delete_tag("dev", "team/app", "none", effects=effects) is False
    assert meta.blobs.unlink("dev", "team/app", digest("none"), effects=effects) is False
    assert meta.generic.delete("dev", "none", lambda gone: effects) == []
    assert stored(meta, "push") == NOTHING


def test_a_tag_deletion_commits_its_effects(meta: MetadataStore) -> None:
    meta.manifests.put(new_manifest("dev", "team/app", manifest("image"), "1.0"))
    effects = everything("delete", webhook="w1")
    assert meta.manifests.delete_tag("dev", "team/app", "1.0", effects=effects)
    assert stored(meta, "delete") == committed("delete")


def test_refused_file_writes_commit_none_of_their_effects(meta: MetadataStore) -> None:
    meta.generic.put(file("dev", "a/b.txt"), {}, may_overwrite=False)
    effects = everything("push", webhook="w1")
    with pytest.raises(Denied):
        meta.generic.put(file("dev", "a/b.txt", "new"), {}, may_overwrite=False, effects=effects)
    with pytest.raises(Conflict):
        meta.generic.put(file("dev", "a", "new"), {}, may_overwrite=True, effects=effects)
    assert stored(meta, "push") == NOTHING


def test_a_file_delete_commits_the_effects_of_the_files_it_deleted(meta: MetadataStore) -> None:
    meta.generic.put(file("dev", "dist/a.txt"), {}, may_overwrite=False)
    meta.generic.put(file("dev", "dist/b.txt"), {}, may_overwrite=False)
    seen: list[list[str]] = []

    def effects_of(gone: list[GenericFileRecord]) -> Effects:
        seen.append([f.path for f in gone])
        return everything("delete", webhook="w1")

    meta.generic.delete("dev", "dist", effects_of)
    assert seen == [["dist/a.txt", "dist/b.txt"]]
    assert stored(meta, "delete") == committed("delete")


def test_standalone_effects_report_what_they_stored(meta: MetadataStore) -> None:
    done = meta.effects.commit(everything("scan", webhook="w1"))
    assert done.scans == (True,)
    assert len(done.events) == 1 and done.events[0] > 0
    assert len(done.jobs) == 3  # the delivery's, the scan's and the gc job
    assert sorted(j.id for j in meta.jobs.page(None, None, None, 10)) == sorted(done.jobs)
    event = meta.events.get("event-scan")
    assert event is not None and event.seq == done.events[0]


def scan_request(cache_key: str, *, force: bool = False) -> Effects:
    target = digest("image")
    job = NewJob("scan", {"digest": target})
    return Effects(5.0, scans=(ScanRequest(target, "image", "dev/app", cache_key, job, force),))


def test_a_scan_is_queued_only_when_its_result_is_not_current(meta: MetadataStore) -> None:
    assert meta.effects.commit(scan_request("k1")).scans == (True,)
    assert meta.effects.commit(scan_request("k1")).scans == (False,)  # pending already
    meta.scans.save(digest("image"), "done", [], "k1", [], [], [], 6.0)
    assert meta.effects.commit(scan_request("k1")).scans == (False,)  # current
    assert meta.effects.commit(scan_request("k1", force=True)).scans == (True,)
    assert meta.effects.commit(scan_request("k2")).scans == (True,)  # catalogers changed
    assert len(meta.jobs.page(None, "scan", None, 10)) == 3
    scan = meta.scans.get(digest("image"))
    assert scan is not None
    assert (scan.status, scan.cache_key, scan.requested_at) == ("done", "k1", 5.0)


def test_a_failed_scan_is_queued_again(meta: MetadataStore) -> None:
    meta.effects.commit(scan_request("k1"))
    meta.scans.fail(digest("image"), "the layer could not be read", 6.0)
    assert meta.effects.commit(scan_request("k1")).scans == (True,)
