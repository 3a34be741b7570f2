"""Garbage collection's side of every metadata backend: what keeps a blob alive, the grace
period, the mark a writer cannot get past, and the unrecorded bytes and orphaned referrers
the collector finds. The writers' and the collector's protocol is in ``cargohold.meta.gc``."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from cargohold.core.errors import ManifestBlobUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.gc import Collectable, ManifestKey
from cargohold.records.generic import GenericFileRecord
from tests.contract.metadata.examples import digest, manifest, new_manifest, repository

LAYER, CONFIG, LOOSE = digest("layer"), digest("config"), digest("loose")
FAR = 10_000.0  # seconds: every row written by the test is older than now + FAR - grace


@pytest.fixture(autouse=True)
def repositories(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "files", format="generic")


def collectable(meta: MetadataStore, cutoff: float) -> set[str]:
    return {blob.digest for blob in meta.gc.collectable(cutoff, "", 1000)}


def test_only_what_nothing_holds_and_nothing_touched_since_the_cutoff_is_collectable(
    meta: MetadataStore,
) -> None:
    for blob in (LAYER, CONFIG, LOOSE, digest("filed")):
        meta.blobs.link("dev", "team/app", blob, 10)
    image = manifest("image")
    meta.manifests.put(new_manifest("dev", "team/app", image, "1.0", children=(LAYER, CONFIG)))
    meta.generic.put(
        GenericFileRecord("files", "a.bin", digest("filed"), 10, "", "", 1.0, 1.0, "alice"),
        {},
        may_overwrite=False,
    )
    later = time.time() + FAR
    # The manifest's body, its layer and config, the file: held. The loose blob: not.
    assert collectable(meta, later) == {LOOSE}
    assert collectable(meta, time.time() - FAR) == set()  # all touched after that cutoff

    meta.manifests.delete("dev", "team/app", image.digest)
    assert collectable(meta, later) == {LOOSE, LAYER, CONFIG, image.digest}
    # Deleting released them now: the grace period starts again from the delete.
    assert collectable(meta, time.time() - 1) == set()


def test_a_marked_blob_cannot_be_claimed_linked_or_needed_until_it_is_forgotten(
    meta: MetadataStore,
) -> None:
    meta.blobs.link("dev", "team/app", LOOSE, 10)
    now = time.time()
    assert meta.gc.mark([LOOSE], now + FAR, now) == [Collectable(LOOSE, 10)]
    assert meta.gc.mark([LOOSE], now + FAR, now) == []  # marked once
    assert meta.blobs.claim(LOOSE, now) == now  # a writer waits
    assert not meta.blobs.link("dev", "team/other", LOOSE, 10, claimed=True)
    assert not meta.blobs.link("dev", "team/other", LOOSE, 10)
    assert meta.blobs.linked_size("dev", "team/app", LOOSE) is None  # no longer served
    needing = new_manifest("dev", "team/app", manifest("needs"), "1.0", children=(LOOSE,))
    with pytest.raises(ManifestBlobUnknown):
        meta.manifests.put(replace(needing, requires=(LOOSE,)))
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") is None

    meta.gc.forget([LOOSE])
    assert meta.references.blob(LOOSE) is None
    assert meta.references.holders(LOOSE) == []  # its links went with it
    # A writer that claimed before the deletion cannot link what was deleted since.
    assert not meta.blobs.link("dev", "team/app", LOOSE, 10, claimed=True)
    assert meta.blobs.claim(LOOSE, time.time()) is None  # stored again from now on
    assert meta.blobs.link("dev", "team/app", LOOSE, 10, claimed=True)
    assert meta.blobs.linked_size("dev", "team/app", LOOSE) == 10


def test_a_blob_a_manifest_took_after_the_page_was_read_is_not_marked(
    meta: MetadataStore,
) -> None:
    meta.blobs.link("dev", "team/app", LOOSE, 10)
    cutoff = time.time() + FAR
    page = meta.gc.collectable(cutoff, "", 10)
    meta.manifests.put(
        replace(
            new_manifest("dev", "team/app", manifest("late"), "1.0", children=(LOOSE,)),
            requires=(LOOSE,),
        )
    )
    assert meta.gc.mark([b.digest for b in page], cutoff, time.time()) == []


def test_unrecorded_bytes_are_marked_unless_a_writer_recorded_them(meta: MetadataStore) -> None:
    meta.blobs.link("dev", "team/app", LAYER, 10)
    assert meta.gc.unrecorded([LAYER, LOOSE]) == [LOOSE]
    now = time.time()
    found = [Collectable(LAYER, 10), Collectable(LOOSE, 7)]
    assert meta.gc.mark_unrecorded(found, now) == [Collectable(LOOSE, 7)]
    assert meta.blobs.claim(LOOSE, now) == now
    assert [b.digest for b in meta.gc.take_over_stale(now + 1, now + 2, 10)] == [LOOSE]
    assert meta.gc.take_over(LOOSE, now, now + 3) is False  # taken over already
    assert meta.gc.take_over(LOOSE, now + 2, now + 3) is True


def test_a_referrer_whose_subject_is_gone_is_orphaned_unless_tagged(meta: MetadataStore) -> None:
    subject = manifest("subject")
    meta.manifests.put(new_manifest("dev", "team/app", subject, "1.0"))
    signature = manifest("signature", subject=subject.digest)
    sbom = manifest("sbom", subject=subject.digest)
    meta.manifests.put(new_manifest("dev", "team/app", signature, None, children=(LAYER,)))
    meta.manifests.put(new_manifest("dev", "team/app", sbom, "sbom"))
    later = time.time() + FAR
    assert meta.gc.orphaned_referrers(later, 10) == []
    meta.manifests.delete("dev", "team/app", subject.digest)
    assert meta.gc.orphaned_referrers(time.time() - FAR, 10) == []  # the grace period
    orphaned = [ManifestKey("dev", "team/app", signature.digest)]
    assert meta.gc.orphaned_referrers(later, 10) == orphaned
    assert meta.gc.remove_orphaned(orphaned, later, time.time()) == 1
    assert meta.manifests.get("dev", "team/app", signature.digest) is None
    assert meta.manifests.get("dev", "team/app", sbom.digest) is not None  # a tag holds it
    holders = meta.references.holders(signature.digest)
    assert holders == []
