"""Retention on every metadata backend: policies stored and found by id or name; one image's
inventory with what holds it and when its manifests were last pulled (recorded in batches, at
most once an hour each); and removals re-checked in their transaction, committing their
effects only for what went."""

from __future__ import annotations

import time

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import AuditFilter
from cargohold.records.lifecycle import PromotionRecord
from cargohold.records.oci import ManifestPull
from cargohold.records.retention import (
    Removal,
    RetentionPolicyRecord,
    RetentionRule,
)
from tests.contract.metadata.examples import audit, digest, manifest, new_manifest, repository

CHILD = manifest("child")
INDEX = manifest("index")
IMAGE = manifest("image")
SIGNATURE = manifest("signature", subject=IMAGE.digest)
LAYER = digest("layer")


def policy(policy_id: str, name: str) -> RetentionPolicyRecord:
    rules = (
        RetentionRule(tags="pr-*", keep_last=3, older_than_days=30),
        RetentionRule(untagged_days=7),
    )
    return RetentionPolicyRecord(
        policy_id, name, "", ("dev", "team-*"), "team/*", rules, True, 1.0, 1.0, "admin"
    )


def promotion(
    promotion_id: str, at: float, *, dry_run: bool = False, status: int = 200
) -> PromotionRecord:
    return PromotionRecord(
        promotion_id,
        at,
        "alice",
        None,
        "docker",
        "staging",
        "dev",
        "team/app",
        "team/app",
        IMAGE.digest,
        ("1.0",),
        True,
        dry_run,
        "",
        {},
        status,
        "promoted",
        "",
    )


def test_policies_are_found_by_id_or_name_listed_by_name_and_deleted(meta: MetadataStore) -> None:
    created = audit("retention.create", "retention/b-policy", repository=None)
    assert meta.retention.create(policy("id-b", "b-policy"), Effects(1.0, audit=(created,)))
    assert meta.retention.create(policy("id-a", "a-policy"))
    assert not meta.retention.create(policy("id-c", "a-policy"))  # the name is taken
    assert meta.retention.get("id-b") == policy("id-b", "b-policy")
    assert meta.retention.get("b-policy") == policy("id-b", "b-policy")
    assert [p.name for p in meta.retention.all()] == ["a-policy", "b-policy"]
    assert meta.retention.delete("a-policy") == policy("id-a", "a-policy")
    assert meta.retention.delete("id-a") is None
    assert [p.id for p in meta.retention.all()] == ["id-b"]
    actions = [r.action for r in meta.audit.query(AuditFilter(), None, 10)]
    assert actions == ["retention.create"]


def _content(meta: MetadataStore, *, immutable: bool = False) -> None:
    repository(meta, "dev", immutable_tags=immutable)
    repository(meta, "files", format="generic")
    meta.blobs.link("dev", "team/app", LAYER, 10)
    meta.manifests.put(new_manifest("dev", "team/app", CHILD, children=(LAYER,)))
    meta.manifests.put(new_manifest("dev", "team/app", INDEX, "multi", children=(CHILD.digest,)))
    meta.manifests.put(new_manifest("dev", "team/app", IMAGE, "1.0", children=(LAYER,)))
    meta.manifests.put(new_manifest("dev", "team/app", SIGNATURE))
    meta.manifests.put(new_manifest("dev", "other/app", IMAGE, "2.0"))


def test_an_inventory_holds_tags_manifests_and_what_keeps_them(meta: MetadataStore) -> None:
    _content(meta)
    now = time.time()
    meta.promotions.record(
        promotion("recent", now),
        promotion("old", now - 30 * 86400, dry_run=False),
        promotion("dry", now, dry_run=True),
        promotion("refused", now, status=403),
    )
    meta.properties.set("dev", f"image:team/app@{CHILD.digest}", {"retention.protect": ["true"]})
    meta.properties.set("dev", "tag:team/app:multi", {"retention.protect": ["TRUE"]})
    meta.properties.set("dev", "tag:team/app:1.0", {"retention.protect": ["false"]})
    meta.properties.set("dev", "tag:other/app:2.0", {"retention.protect": ["true"]})
    assert meta.retention_inventory.docker_repositories() == ["dev"]
    assert meta.retention_inventory.images("dev") == ["other/app", "team/app"]

    found = meta.retention_inventory.inventory("dev", "team/app", now - 86400)
    assert [(t.tag, t.digest) for t in found.tags] == [
        ("1.0", IMAGE.digest),
        ("multi", INDEX.digest),
    ]
    assert all(now - 60 < t.updated_at <= now + 1 for t in found.tags)
    by_digest = {m.digest: m for m in found.manifests}
    assert set(by_digest) == {CHILD.digest, INDEX.digest, IMAGE.digest, SIGNATURE.digest}
    assert by_digest[INDEX.digest].children == (CHILD.digest,)  # the layer is no manifest
    assert by_digest[IMAGE.digest].children == ()
    assert by_digest[SIGNATURE.digest].subject == IMAGE.digest
    assert not found.holds.immutable
    assert found.holds.promoted == {IMAGE.digest}  # not the old, the dry or the refused one
    assert found.holds.protected_digests == {CHILD.digest}
    assert found.holds.protected_tags == {"multi"}
    older = meta.retention_inventory.inventory("dev", "team/app", now - 60 * 86400)
    assert older.holds.promoted == {IMAGE.digest}


def test_pulls_are_recorded_in_a_batch_at_most_once_an_hour(meta: MetadataStore) -> None:
    _content(meta)
    hour = 3600.0

    def pulled(name: str = "team/app") -> dict[str, float | None]:
        found = meta.retention_inventory.inventory("dev", name, 0.0)
        return {m.digest: m.pulled_at for m in found.manifests}

    assert set(pulled().values()) == {None}  # never pulled since pushed
    batch = [
        ManifestPull("dev", "team/app", IMAGE.digest, 1000.0),
        ManifestPull("dev", "team/app", CHILD.digest, 1000.0),
        ManifestPull("dev", "other/app", IMAGE.digest, 2000.0),
        ManifestPull("dev", "team/app", digest("gone since"), 1000.0),  # nothing to record
    ]
    assert meta.manifests.mark_pulled(batch, hour) == 3
    assert pulled()[IMAGE.digest] == 1000.0 and pulled()[CHILD.digest] == 1000.0
    assert pulled()[INDEX.digest] is None
    assert pulled("other/app")[IMAGE.digest] == 2000.0
    # Within the hour (another process's pull, say), or earlier: left as it is.
    again = [ManifestPull("dev", "team/app", IMAGE.digest, 1000.0 + hour - 1)]
    assert meta.manifests.mark_pulled(again, hour) == 0
    assert meta.manifests.mark_pulled([ManifestPull("dev", "team/app", IMAGE.digest, 10.0)]) == 0
    assert pulled()[IMAGE.digest] == 1000.0
    later = [ManifestPull("dev", "team/app", IMAGE.digest, 1000.0 + hour)]
    assert meta.manifests.mark_pulled(later, hour) == 1
    assert pulled()[IMAGE.digest] == 1000.0 + hour
    assert meta.manifests.mark_pulled([]) == 0


def _removal(digest_: str, tag: str | None = None, name: str = "team/app") -> Removal:
    return Removal("dev", name, digest_, tag, "cleanup", "rule")


def test_removals_are_rechecked_and_commit_effects_only_for_what_went(meta: MetadataStore) -> None:
    _content(meta)
    committed: list[list[Removal]] = []

    def effects_of(gone: list[Removal]) -> Effects:
        committed.append(gone)
        return Effects(1.0, audit=(audit("retention.test", f"{len(gone)} gone"),))

    chosen = [
        _removal(IMAGE.digest, "1.0"),
        _removal(IMAGE.digest, "multi"),  # "multi" points elsewhere: stays
        _removal(INDEX.digest),  # tagged: stays
        _removal(CHILD.digest),  # listed by the index: stays
        _removal(IMAGE.digest),  # its signature refers to it: stays
    ]
    gone = meta.retention_inventory.remove("dev", "team/app", chosen, effects_of)
    assert gone == [chosen[0]] and committed == [gone]
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") is None
    assert meta.manifests.resolve_tag("dev", "team/app", "multi") == INDEX.digest
    for kept in (INDEX, CHILD, IMAGE, SIGNATURE):
        assert meta.manifests.get("dev", "team/app", kept.digest) == kept

    # A signature before its subject: both go; an index before its child: both go.
    assert meta.manifests.delete_tag("dev", "team/app", "multi")
    order = [
        _removal(SIGNATURE.digest),
        _removal(IMAGE.digest),
        _removal(INDEX.digest),
        _removal(CHILD.digest),
    ]
    assert meta.retention_inventory.remove("dev", "team/app", order, effects_of) == order
    assert meta.retention_inventory.images("dev") == ["other/app"]
    assert meta.manifests.resolve_tag("dev", "other/app", "2.0") == IMAGE.digest  # another image
    assert [r.target for r in meta.audit.query(AuditFilter(action="retention.test"), None, 10)] == [
        "4 gone",
        "1 gone",
    ]
    assert meta.retention_inventory.remove("dev", "team/app", order, effects_of) == []
    assert len(committed) == 2  # nothing went: nothing committed


def test_nothing_goes_from_a_repository_with_immutable_tags(meta: MetadataStore) -> None:
    _content(meta, immutable=True)
    chosen = [_removal(IMAGE.digest, "1.0"), _removal(SIGNATURE.digest)]
    assert meta.retention_inventory.remove("dev", "team/app", chosen) == []
    assert meta.retention_inventory.inventory("dev", "team/app", 0.0).holds.immutable
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") == IMAGE.digest
    assert meta.manifests.get("dev", "team/app", SIGNATURE.digest) == SIGNATURE
