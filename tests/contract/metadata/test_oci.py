"""Blobs, uploads, manifests and tags: what pushes, pulls, deletes and listings rely on."""

from __future__ import annotations

import threading

import pytest

from cargohold.core.errors import TagImmutable
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.identity import AuditFilter
from cargohold.records.oci import NewManifest
from tests.contract.metadata.examples import (
    IMAGE_MANIFEST,
    SBOM,
    SIGNATURE,
    audit,
    digest,
    manifest,
    new_manifest,
    repository,
)

LAYER = digest("layer")
CONFIG = digest("config")


@pytest.fixture(autouse=True)
def repositories(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "prod", immutable_tags=True)


# --- blobs ---------------------------------------------------------------------------------


def test_a_linked_blob_is_readable_from_that_image_only(meta: MetadataStore) -> None:
    meta.blobs.link("dev", "team/app", LAYER, 1234)
    assert meta.blobs.linked_size("dev", "team/app", LAYER) == 1234
    assert meta.blobs.linked_size("dev", "team/other", LAYER) is None
    assert meta.blobs.linked_size("prod", "team/app", LAYER) is None
    assert meta.blobs.linked_size("dev", "team/app", CONFIG) is None


def test_linking_twice_is_one_link(meta: MetadataStore) -> None:
    meta.blobs.link("dev", "team/app", LAYER, 1234)
    meta.blobs.link("dev", "team/app", LAYER, 1234)
    assert meta.blobs.unlink("dev", "team/app", LAYER)
    assert meta.blobs.linked_size("dev", "team/app", LAYER) is None


def test_missing_lists_the_unlinked_digests_in_the_order_asked(meta: MetadataStore) -> None:
    meta.blobs.link("dev", "team/app", LAYER, 1)
    meta.blobs.link("dev", "team/other", CONFIG, 2)
    asked = [CONFIG, LAYER, digest("never")]
    assert meta.blobs.missing("dev", "team/app", asked) == [CONFIG, digest("never")]
    assert meta.blobs.missing("dev", "team/app", []) == []


def test_unlink_leaves_other_images_linked(meta: MetadataStore) -> None:
    meta.blobs.link("dev", "team/app", LAYER, 10)
    meta.blobs.link("dev", "team/other", LAYER, 10)
    assert meta.blobs.unlink("dev", "team/app", LAYER) is True
    assert meta.blobs.unlink("dev", "team/app", LAYER) is False
    assert meta.blobs.linked_size("dev", "team/app", LAYER) is None
    assert meta.blobs.linked_size("dev", "team/other", LAYER) == 10


def test_an_upload_belongs_to_its_image_until_it_ends_with_a_link(meta: MetadataStore) -> None:
    meta.blobs.start_upload("u" * 32, "dev", "team/app")
    meta.blobs.start_upload("v" * 32, "dev", "team/app")
    assert meta.blobs.upload_owner("u" * 32) == ("dev", "team/app")
    meta.blobs.link("dev", "team/app", LAYER, 5, upload_id="u" * 32)
    assert meta.blobs.upload_owner("u" * 32) is None
    assert meta.blobs.linked_size("dev", "team/app", LAYER) == 5
    meta.blobs.end_upload("v" * 32)
    assert meta.blobs.upload_owner("v" * 32) is None
    assert meta.blobs.upload_owner("w" * 32) is None


def test_link_and_unlink_commit_their_effects(meta: MetadataStore) -> None:
    pushed = Effects(1.0, audit=(audit("blob.push", "dev/team/app", time=1.0),))
    deleted = Effects(2.0, audit=(audit("blob.delete", "dev/team/app", time=2.0),))
    meta.blobs.link("dev", "team/app", LAYER, 5, effects=pushed)
    assert meta.blobs.unlink("dev", "team/app", LAYER, effects=deleted)
    assert not meta.blobs.unlink("dev", "team/app", LAYER, effects=deleted)
    logged = meta.audit.query(AuditFilter(), None, 10)
    assert [record.action for record in logged] == ["blob.delete", "blob.push"]


# --- manifests -----------------------------------------------------------------------------


def test_a_stored_manifest_reads_back_as_pushed(meta: MetadataStore) -> None:
    record = manifest(
        "image",
        artifact_type=SBOM,
        subject=digest("subject"),
        annotations={"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
    )
    meta.manifests.put(new_manifest("dev", "team/app", record, "1.0", children=(LAYER, CONFIG)))
    stored = meta.manifests.get("dev", "team/app", record.digest)
    assert stored == record
    assert stored is not None and stored.annotations == record.annotations
    assert (stored.media_type, stored.size) == (IMAGE_MANIFEST, len("image"))
    assert meta.manifests.get("dev", "team/other", record.digest) is None
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") == record.digest
    assert meta.manifests.resolve_tag("dev", "team/app", "2.0") is None


def test_putting_a_manifest_again_changes_nothing(meta: MetadataStore) -> None:
    record = manifest("image")
    new = new_manifest("dev", "team/app", record, "1.0", children=(LAYER,))
    meta.manifests.put(new)
    meta.manifests.put(new)
    meta.manifests.put(new_manifest("dev", "team/app", record))
    assert meta.manifests.get("dev", "team/app", record.digest) == record
    assert meta.manifests.list_tags("dev", "team/app", None, None) == ["1.0"]


def test_a_tag_moves_to_the_manifest_pushed_last(meta: MetadataStore) -> None:
    first, second = manifest("first"), manifest("second")
    meta.manifests.put(new_manifest("dev", "team/app", first, "latest"))
    meta.manifests.put(new_manifest("dev", "team/app", second, "latest"))
    assert meta.manifests.resolve_tag("dev", "team/app", "latest") == second.digest
    assert meta.manifests.get("dev", "team/app", first.digest) == first


def test_an_immutable_tag_refuses_to_move_and_nothing_changes(meta: MetadataStore) -> None:
    first, second = manifest("first"), manifest("second")
    meta.manifests.put(new_manifest("prod", "team/app", first, "1.0", immutable_tags=True))
    moved = new_manifest("prod", "team/app", second, "1.0", children=(LAYER,), immutable_tags=True)
    with pytest.raises(TagImmutable) as refused:
        meta.manifests.put(moved)
    assert refused.value.detail == {
        "tag": "1.0",
        "digest": first.digest,
        "setting": "immutableTags",
    }
    assert meta.manifests.resolve_tag("prod", "team/app", "1.0") == first.digest
    assert meta.manifests.get("prod", "team/app", second.digest) is None
    # The same digest under the same tag is no move, and a new tag is free to take.
    meta.manifests.put(new_manifest("prod", "team/app", first, "1.0", immutable_tags=True))
    meta.manifests.put(new_manifest("prod", "team/app", second, "1.1", immutable_tags=True))
    assert meta.manifests.list_tags("prod", "team/app", None, None) == ["1.0", "1.1"]


def test_an_immutable_tag_refuses_deletion(meta: MetadataStore) -> None:
    record = manifest("image")
    meta.manifests.put(new_manifest("prod", "team/app", record, "1.0", immutable_tags=True))
    with pytest.raises(TagImmutable):
        meta.manifests.delete_tag("prod", "team/app", "1.0", immutable_tags=True)
    with pytest.raises(TagImmutable) as refused:
        meta.manifests.delete("prod", "team/app", record.digest, immutable_tags=True)
    assert refused.value.detail == {"tag": "1.0", "setting": "immutableTags"}
    assert meta.manifests.resolve_tag("prod", "team/app", "1.0") == record.digest
    assert meta.manifests.get("prod", "team/app", record.digest) == record
    # An absent tag is no change, and an untagged manifest can go.
    assert meta.manifests.delete_tag("prod", "team/app", "2.0", immutable_tags=True) is False
    untagged = manifest("untagged")
    meta.manifests.put(new_manifest("prod", "team/app", untagged, immutable_tags=True))
    assert meta.manifests.delete("prod", "team/app", untagged.digest, immutable_tags=True)


def test_delete_tag_removes_only_that_tag(meta: MetadataStore) -> None:
    record = manifest("image")
    meta.manifests.put(new_manifest("dev", "team/app", record, "1.0"))
    meta.manifests.put(new_manifest("dev", "team/app", record, "latest"))
    assert meta.manifests.delete_tag("dev", "team/app", "1.0") is True
    assert meta.manifests.delete_tag("dev", "team/app", "1.0") is False
    assert meta.manifests.list_tags("dev", "team/app", None, None) == ["latest"]
    assert meta.manifests.get("dev", "team/app", record.digest) == record


def test_deleting_a_manifest_deletes_the_tags_pointing_at_it(meta: MetadataStore) -> None:
    gone, kept = manifest("gone"), manifest("kept")
    meta.manifests.put(new_manifest("dev", "team/app", gone, "1.0", children=(LAYER,)))
    meta.manifests.put(new_manifest("dev", "team/app", gone, "latest"))
    meta.manifests.put(new_manifest("dev", "team/app", kept, "2.0"))
    meta.manifests.put(new_manifest("dev", "team/other", gone, "1.0"))
    assert meta.manifests.delete("dev", "team/app", gone.digest) is True
    assert meta.manifests.delete("dev", "team/app", gone.digest) is False
    assert meta.manifests.get("dev", "team/app", gone.digest) is None
    assert meta.manifests.list_tags("dev", "team/app", None, None) == ["2.0"]
    assert meta.manifests.resolve_tag("dev", "team/other", "1.0") == gone.digest
    assert meta.manifests.missing("dev", "team/app", [kept.digest, gone.digest]) == [gone.digest]


def test_the_references_of_a_deleted_manifest_go_with_it(meta: MetadataStore) -> None:
    child, index = manifest("child"), manifest("index")
    meta.manifests.put(new_manifest("dev", "team/app", child))
    meta.manifests.put(new_manifest("dev", "team/app", index, "1.0", children=(child.digest,)))
    where = [(loc.kind, loc.path, loc.digest) for _, loc in meta.impact.locations([child.digest])]
    assert where == sorted(
        [("image", "team/app", child.digest), ("image", "team/app", index.digest)]
    )
    meta.manifests.delete("dev", "team/app", index.digest)
    where = [(loc.kind, loc.path, loc.digest) for _, loc in meta.impact.locations([child.digest])]
    assert where == [("image", "team/app", child.digest)]


TAGS = ["b", "A", "a", "C", "10", "9", "latest", "1.0"]
IN_ORDER = ["1.0", "10", "9", "A", "a", "b", "C", "latest"]


def test_tags_list_in_case_insensitive_order_a_page_at_a_time(meta: MetadataStore) -> None:
    record = manifest("image")
    for tag in TAGS:
        meta.manifests.put(new_manifest("dev", "team/app", record, tag))
    tags = meta.manifests.list_tags
    assert tags("dev", "team/app", None, None) == IN_ORDER
    assert tags("dev", "team/app", None, 3) == ["1.0", "10", "9"]
    assert tags("dev", "team/app", "9", 2) == ["A", "a"]
    assert tags("dev", "team/app", "A", 2) == ["a", "b"]
    assert tags("dev", "team/app", "b", None) == ["C", "latest"]
    assert tags("dev", "team/app", "latest", 5) == []
    # `last` need not be a tag; "B" sorts just before "b"
    assert tags("dev", "team/app", "B", None) == ["b", "C", "latest"]
    assert tags("dev", "team/app", None, 0) == []
    assert tags("dev", "team/none", None, None) == []


def test_paging_through_tags_returns_each_once(meta: MetadataStore) -> None:
    record = manifest("image")
    for tag in TAGS:
        meta.manifests.put(new_manifest("dev", "team/app", record, tag))
    seen: list[str] = []
    last = None
    while page := meta.manifests.list_tags("dev", "team/app", last, 3):
        seen += page
        last = page[-1]
    assert seen == IN_ORDER


def test_referrers_of_a_subject_filter_by_artifact_type(meta: MetadataStore) -> None:
    subject = manifest("image")
    sbom = manifest("sbom", artifact_type=SBOM, subject=subject.digest)
    signature = manifest("signature", artifact_type=SIGNATURE, subject=subject.digest)
    unrelated = manifest("unrelated", artifact_type=SBOM, subject=digest("other"))
    meta.manifests.put(new_manifest("dev", "team/app", subject, "1.0"))
    for record in (sbom, signature, unrelated):
        meta.manifests.put(new_manifest("dev", "team/app", record))
    meta.manifests.put(new_manifest("dev", "team/other", sbom))
    referrers = meta.manifests.referrers
    assert referrers("dev", "team/app", subject.digest, None) == [sbom, signature]
    assert referrers("dev", "team/app", subject.digest, SBOM) == [sbom]
    assert referrers("dev", "team/app", subject.digest, SIGNATURE) == [signature]
    assert referrers("dev", "team/app", subject.digest, "application/none") == []
    assert referrers("dev", "team/none", subject.digest, None) == []
    assert referrers("prod", "team/app", subject.digest, None) == []


def test_the_catalog_lists_images_of_readable_repositories(meta: MetadataStore) -> None:
    repository(meta, "staging")
    record = manifest("image")
    for key, name in [
        ("dev", "team/b"),
        ("dev", "team/a"),
        ("dev", "z"),
        ("prod", "team/a"),
        ("staging", "secret"),
    ]:
        meta.manifests.put(new_manifest(key, name, record, "1.0"))
    meta.manifests.put(new_manifest("dev", "team/a", manifest("other")))  # one image, twice
    meta.blobs.link("dev", "only/blobs", LAYER, 1)  # no manifest: no image yet
    names = meta.manifests.names
    readable = ["dev", "prod"]
    assert names(None, None, readable) == ["dev/team/a", "dev/team/b", "dev/z", "prod/team/a"]
    assert names(None, 2, readable) == ["dev/team/a", "dev/team/b"]
    assert names("dev/team/b", 2, readable) == ["dev/z", "prod/team/a"]
    assert names("dev/z", None, readable) == ["prod/team/a"]
    assert names("prod/team/a", None, readable) == []
    assert names(None, None, ["staging"]) == ["staging/secret"]
    assert names(None, None, []) == []


def push_at_once(stores: list[MetadataStore], pushes: list[NewManifest]) -> list[str | None]:
    """Each store pushes its manifest at the same moment: the error each one got, if any."""
    ready = threading.Barrier(len(stores))
    errors: list[str | None] = [None] * len(stores)

    def push(i: int) -> None:
        ready.wait()
        try:
            stores[i].manifests.put(pushes[i])
        except TagImmutable as exc:
            errors[i] = exc.code

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_of_two_racing_pushes_to_a_new_immutable_tag_one_wins(
    meta: MetadataStore, meta_url: str
) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)  # another worker process
    try:
        for round in range(5):
            tag = f"1.{round}"
            pushes = [
                new_manifest(
                    "prod", "team/app", manifest(f"{who}-{round}"), tag, immutable_tags=True
                )
                for who in ("a", "b")
            ]
            errors = push_at_once([meta, other], pushes)
            assert sorted(errors, key=str) == ["DENIED", None]
            winner = pushes[errors.index(None)].record.digest
            assert meta.manifests.resolve_tag("prod", "team/app", tag) == winner
    finally:
        other.close()
