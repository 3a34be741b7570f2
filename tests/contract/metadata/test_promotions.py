"""Promotion of images and builds: metadata copied (or moved) between repositories in one
transaction, with the promotion log; and the builds themselves."""

from __future__ import annotations

import pytest

from cargohold.core.errors import TagImmutable
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import (
    BuildArtifact,
    BuildPosition,
    BuildPromotion,
    BuildRecord,
    BuildStatusRecord,
    ImageCopy,
    PromotionRecord,
)
from tests.contract.metadata.examples import (
    SBOM,
    digest,
    file,
    manifest,
    new_manifest,
    repository,
)

LAYER = digest("layer")
IMAGE = manifest("image")
SBOM_OF_IMAGE = manifest("sbom", artifact_type=SBOM, subject=IMAGE.digest)
OLD = manifest("old")


@pytest.fixture(autouse=True)
def content(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "staging")
    repository(meta, "prod", immutable_tags=True)
    meta.blobs.link("dev", "team/app", LAYER, 1000)
    meta.manifests.put(new_manifest("dev", "team/app", IMAGE, "1.0", children=(LAYER,)))
    meta.manifests.put(new_manifest("dev", "team/app", SBOM_OF_IMAGE))
    meta.manifests.put(new_manifest("dev", "team/app", OLD, "0.9"))
    meta.properties.set("dev", f"image:team/app@{IMAGE.digest}", {"qa": ["passed"]})
    meta.properties.set("dev", "tag:team/app:1.0", {"release": ["yes"]})


def record(
    promotion_id: str, time: float, source: str = "dev", target: str = "prod"
) -> PromotionRecord:
    return PromotionRecord(
        promotion_id,
        time,
        "alice",
        None,
        "docker",
        source,
        target,
        "team/app",
        "team/app",
        IMAGE.digest,
        ("1.0",),
        True,
        False,
        "",
        {},
        200,
        "promoted",
        "",
    )


def plan(target: str = "prod", *, move: bool = False, tag: str = "1.0") -> ImageCopy:
    return ImageCopy(
        "dev",
        "team/app",
        target,
        "team/app",
        (("1.0", tag, IMAGE.digest),),
        (IMAGE.digest,),
        move,
        target == "prod",
        {"stage": [target]},
    )


def test_promoting_an_image_copies_its_manifests_links_tags_and_properties(
    meta: MetadataStore,
) -> None:
    meta.promotions.promote([plan()], [record("p1", 10.0)], 10.0)
    assert meta.manifests.resolve_tag("prod", "team/app", "1.0") == IMAGE.digest
    assert meta.manifests.get("prod", "team/app", IMAGE.digest) == IMAGE
    assert meta.manifests.referrers("prod", "team/app", IMAGE.digest, None) == [SBOM_OF_IMAGE]
    assert meta.manifests.get("prod", "team/app", OLD.digest) is None
    assert meta.blobs.linked_size("prod", "team/app", LAYER) == 1000
    assert meta.properties.get("prod", f"image:team/app@{IMAGE.digest}") == {
        "qa": ["passed"],
        "stage": ["prod"],
    }
    assert meta.properties.get("prod", "tag:team/app:1.0") == {"release": ["yes"]}
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") == IMAGE.digest
    assert meta.promotions.plan_tags("prod", "team/app") == {"1.0": IMAGE.digest}


def test_a_move_leaves_in_the_source_only_what_its_other_tags_need(meta: MetadataStore) -> None:
    meta.promotions.promote([plan("staging", move=True)], [], 10.0)
    assert meta.promotions.plan_tags("dev", "team/app") == {"0.9": OLD.digest}
    assert meta.manifests.get("dev", "team/app", IMAGE.digest) is None
    assert meta.manifests.get("dev", "team/app", SBOM_OF_IMAGE.digest) is None
    assert meta.manifests.get("dev", "team/app", OLD.digest) == OLD
    assert meta.properties.get("dev", f"image:team/app@{IMAGE.digest}") == {}
    assert meta.properties.get("dev", "tag:team/app:1.0") == {}
    assert meta.promotions.plan_tags("staging", "team/app") == {"1.0": IMAGE.digest}


def test_a_promotion_that_would_move_an_immutable_tag_changes_nothing(meta: MetadataStore) -> None:
    meta.manifests.put(new_manifest("prod", "team/app", OLD, "1.0"))
    with pytest.raises(TagImmutable):
        meta.promotions.promote([plan("staging"), plan()], [record("p1", 10.0)], 10.0)
    assert meta.manifests.resolve_tag("prod", "team/app", "1.0") == OLD.digest
    assert meta.manifests.get("prod", "team/app", IMAGE.digest) is None
    assert meta.manifests.get("staging", "team/app", IMAGE.digest) is None
    assert meta.blobs.linked_size("prod", "team/app", LAYER) is None
    assert log(meta, "dev", "staging", "prod") == []


def log(
    meta: MetadataStore,
    *readable: str,
    digest: str | None = None,
    image: str | None = None,
    repository: str | None = None,
    before: tuple[float, str] | None = None,
    limit: int = 10,
) -> list[str]:
    """The ids of the promotions a reader of ``readable`` finds."""
    found = meta.promotions.page(
        digest=digest,
        image=image,
        repository=repository,
        readable=list(readable),
        before=before,
        limit=limit,
    )
    return [r.id for r in found]


def test_the_promotion_log_filters_newest_first_over_readable_repositories(
    meta: MetadataStore,
) -> None:
    first, second, third = record("a", 10.0), record("b", 20.0, target="staging"), record("c", 30.0)
    for promotion in (first, second, third):
        meta.promotions.record(promotion)
    assert meta.promotions.page(
        digest=None, image=None, repository=None, readable=["prod"], before=None, limit=1
    ) == [third]
    assert log(meta, "dev") == ["c", "b", "a"]
    assert log(meta, "staging") == ["b"]
    assert log(meta, "dev", repository="prod") == ["c", "a"]
    assert log(meta, "prod", digest=IMAGE.digest, image="team/app", before=(30.0, "c")) == ["a"]
    assert log(meta, "dev", limit=2) == ["c", "b"]
    assert log(meta, "dev", digest=OLD.digest) == []
    assert log(meta, "dev", image="team/other") == []
    assert log(meta) == []


# --- builds --------------------------------------------------------------------------------


def build(number: str, started: float, *artifacts: dict[str, str]) -> BuildRecord:
    document = {"modules": [{"id": "app", "artifacts": list(artifacts)}]}
    return BuildRecord("app", number, started, f"https://ci.example/{number}", document, 5.0, "ci")


IMAGE_ARTIFACT = {"type": "docker", "repository": "dev", "name": "team/app", "digest": IMAGE.digest}


def test_builds_are_stored_replaced_and_listed_newest_first(meta: MetadataStore) -> None:
    assert meta.builds.put(build("1", 100.0))
    assert meta.builds.put(build("2", 200.0, IMAGE_ARTIFACT))
    assert meta.builds.put(BuildRecord("lib", "1", 200.0, "", {}, 5.0, "ci"))
    assert not meta.builds.put(build("1", 150.0, IMAGE_ARTIFACT))
    stored = meta.builds.get("app", "1")
    assert stored == build("1", 150.0, IMAGE_ARTIFACT)
    assert stored is not None and stored.document == build("1", 0, IMAGE_ARTIFACT).document
    assert meta.builds.get("app", "3") is None
    listed = [(b.name, b.number) for b in meta.builds.page(None, None, 10)]
    assert listed == [("app", "2"), ("lib", "1"), ("app", "1")]
    assert [(b.name, b.number) for b in meta.builds.page("app", None, 10)] == [
        ("app", "2"),
        ("app", "1"),
    ]
    after = BuildPosition(200.0, "app", "2")
    assert [(b.name, b.number) for b in meta.builds.page(None, after, 10)] == [
        ("lib", "1"),
        ("app", "1"),
    ]
    where = [
        (loc.kind, loc.path)
        for _, loc in meta.impact.locations([IMAGE.digest])
        if loc.kind == "build"
    ]
    assert where == [("build", "app/1"), ("build", "app/2")]


def build_promotion(
    *artifacts: BuildArtifact, dry_run: bool = False, status: str = "released"
) -> BuildPromotion:
    return BuildPromotion(
        artifacts,
        False,
        frozenset({"prod"}),
        frozenset(),
        {"build.number": ["7"]},
        BuildStatusRecord(50.0, status, "", "prod", "alice"),
        (record("b7", 50.0),),
        dry_run,
    )


def test_a_build_promotion_copies_every_artifact_with_a_status(meta: MetadataStore) -> None:
    meta.builds.put(build("7", 10.0))
    meta.generic.put(file("dev", "dist/app.tgz", "tgz"), {}, may_overwrite=False)
    artifacts = (
        BuildArtifact("docker", "dev", "team/app", IMAGE.digest, "1.0", "prod"),
        BuildArtifact("generic", "dev", "dist/app.tgz", digest("tgz"), None, "prod"),
    )
    assert meta.builds.promote("app", "7", build_promotion(*artifacts, dry_run=True), 50.0) == []
    assert meta.manifests.get("prod", "team/app", IMAGE.digest) is None
    assert meta.builds.statuses("app", "7") == []
    assert meta.builds.promote("app", "7", build_promotion(*artifacts), 50.0) == []
    assert meta.manifests.resolve_tag("prod", "team/app", "1.0") == IMAGE.digest
    copied = meta.generic.get("prod", "dist/app.tgz")
    assert copied is not None and copied.digest == digest("tgz")
    assert meta.properties.get("prod", "file:dist/app.tgz") == {"build.number": ["7"]}
    assert meta.builds.statuses("app", "7") == [
        BuildStatusRecord(50.0, "released", "", "prod", "alice")
    ]


def test_a_build_promotion_with_a_missing_artifact_changes_nothing(meta: MetadataStore) -> None:
    meta.builds.put(build("7", 10.0))
    artifacts = (
        BuildArtifact("docker", "dev", "team/app", IMAGE.digest, "1.0", "prod"),
        BuildArtifact("docker", "dev", "team/app", OLD.digest, "1.0", "prod"),
        BuildArtifact("generic", "dev", "dist/none.tgz", digest("none"), None, "prod"),
    )
    missing = meta.builds.promote("app", "7", build_promotion(*artifacts), 50.0)
    assert missing == [
        f"image dev/team/app:1.0@{OLD.digest}: the tag now points to {IMAGE.digest}",
        f"file dev/dist/none.tgz ({digest('none')}) is missing",
    ]
    assert meta.manifests.get("prod", "team/app", IMAGE.digest) is None
    assert meta.builds.statuses("app", "7") == []
