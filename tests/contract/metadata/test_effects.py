"""The outbox: a write commits its audit record, events with their webhook deliveries, scan
requests and jobs in its own transaction, and a write that is refused commits none of them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cargohold.core.errors import Conflict, Denied, TagImmutable
from cargohold.meta.effects import Effects, ScanRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.events import WebhookRecord
from cargohold.records.generic import GenericFileRecord
from cargohold.records.identity import AuditFilter
from cargohold.records.jobs import NewJob
from cargohold.records.lifecycle import (
    BuildArtifact,
    BuildPromotion,
    BuildRecord,
    BuildStatusRecord,
    ImageCopy,
    PromotionRecord,
)
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


# --- lifecycle: promotions (a dry run stores its records with its effects), builds ---------


def promotion(promotion_id: str, *, dry_run: bool = False) -> PromotionRecord:
    return PromotionRecord(
        promotion_id,
        100.0,
        "alice",
        None,
        "docker",
        "dev",
        "prod",
        "team/app",
        "team/app",
        None,
        (),
        True,
        dry_run,
        "",
        {},
        200,
        "dry-run" if dry_run else "ok",
        "",
    )


def promotion_ids(meta: MetadataStore) -> list[str]:
    found = meta.promotions.page(
        digest=None, image=None, repository=None, readable=["dev"], before=None, limit=10
    )
    return [r.id for r in found]


@pytest.mark.parametrize("tag", ["1.0", "2.0"])
def test_an_image_promotion_commits_its_effects_unless_it_is_refused(
    meta: MetadataStore, tag: str
) -> None:
    image = manifest("image")
    meta.manifests.put(new_manifest("dev", "team/app", image, tag))
    meta.manifests.put(new_manifest("prod", "team/app", manifest("other"), "1.0"))
    copy = ImageCopy(
        "dev", "team/app", "prod", "team/app", ((tag, tag, image.digest),), (image.digest,),
        False, True, {},
    )  # fmt: skip
    effects = everything("promote", webhook="w1")
    if tag == "1.0":  # taken in prod, whose tags are immutable
        with pytest.raises(TagImmutable):
            meta.promotions.promote([copy], [promotion("p1")], 100.0, effects)
        assert (stored(meta, "promote"), promotion_ids(meta)) == (NOTHING, [])
    else:
        meta.promotions.promote([copy], [promotion("p1")], 100.0, effects)
        assert (stored(meta, "promote"), promotion_ids(meta)) == (committed("promote"), ["p1"])


def test_the_records_of_a_dry_run_or_a_refusal_commit_with_their_effects(
    meta: MetadataStore,
) -> None:
    dry = (promotion("d1", dry_run=True), promotion("d2", dry_run=True))
    meta.promotions.record(*dry, effects=everything("dry", webhook="w1"))
    assert (stored(meta, "dry"), promotion_ids(meta)) == (committed("dry"), ["d2", "d1"])


@pytest.mark.parametrize("outcome", ["copied", "dry-run", "changed"])
def test_a_file_promotion_commits_its_effects_even_dry_unless_it_is_refused(
    meta: MetadataStore, outcome: str
) -> None:
    app = file("dev", "dist/app.tgz", "app")
    meta.generic.put(app, {}, may_overwrite=False)
    # "changed": the file is no longer what the promotion was planned with.
    source = replace(app, digest=digest("older")) if outcome == "changed" else app

    def transfer() -> None:
        meta.promotions.transfer_files(
            [(source, "dist/app.tgz")],
            "prod",
            move=False,
            may_overwrite=False,
            by="alice",
            now=100.0,
            properties={},
            records=[promotion("p1", dry_run=outcome == "dry-run")],
            dry_run=outcome == "dry-run",
            effects=everything("promote", webhook="w1"),
        )

    if outcome == "changed":
        with pytest.raises(Conflict):
            transfer()
        assert (stored(meta, "promote"), promotion_ids(meta)) == (NOTHING, [])
    else:
        transfer()
        assert (stored(meta, "promote"), promotion_ids(meta)) == (committed("promote"), ["p1"])
    copied = meta.generic.get("prod", "dist/app.tgz")
    assert (copied is not None) == (outcome == "copied")


def test_recording_a_build_commits_the_effects_of_its_outcome(meta: MetadataStore) -> None:
    outcomes: list[bool] = []

    def effects_of(created: bool) -> Effects:
        outcomes.append(created)
        return everything("build" if created else "rebuild")

    build = BuildRecord("app", "7", 10.0, "", {}, 5.0, "ci")
    assert meta.builds.put(build, effects_of)
    assert not meta.builds.put(replace(build, url="https://ci.example/7"), effects_of)
    assert outcomes == [True, False]
    audit = [r.action for r in meta.audit.query(AuditFilter(), None, 10)]
    assert audit == ["rebuild.audit", "build.audit"]


@pytest.mark.parametrize("present", [True, False])
def test_a_build_promotion_commits_its_effects_unless_an_artifact_is_missing(
    meta: MetadataStore, present: bool
) -> None:
    meta.builds.put(BuildRecord("app", "7", 10.0, "", {}, 5.0, "ci"))
    if present:
        meta.generic.put(file("dev", "dist/app.tgz", "tgz"), {}, may_overwrite=False)
    artifact = BuildArtifact("generic", "dev", "dist/app.tgz", digest("tgz"), None, "prod")
    status = BuildStatusRecord(50.0, "released", "", "prod", "alice")
    plan = BuildPromotion((artifact,), False, frozenset(), frozenset(), {}, status, ())
    missing = meta.builds.promote("app", "7", plan, 50.0, everything("promote", webhook="w1"))
    assert missing == ([] if present else [f"{artifact} is missing"])
    assert stored(meta, "promote") == (committed("promote") if present else NOTHING)
