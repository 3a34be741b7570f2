"""Search across repositories: images and generic files, a page at a time in key order."""

from __future__ import annotations

from typing import Any

import pytest

from cargohold.meta.store import MetadataStore
from cargohold.records.search import FILE, IMAGE, SearchCriteria, SearchHit
from tests.contract.metadata.examples import digest, file, manifest, new_manifest, repository

APP = manifest("app image")
WEB = manifest("web image")
LAYER, CONFIG = digest("layer"), digest("config")


@pytest.fixture(autouse=True)
def content(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "prod")
    meta.blobs.link("dev", "team/app", LAYER, 1000)
    meta.blobs.link("dev", "team/app", CONFIG, 100)
    for tag in ("latest", "1.0"):
        meta.manifests.put(new_manifest("dev", "team/app", APP, tag, children=(LAYER, CONFIG)))
    meta.manifests.put(new_manifest("dev", "team/web", WEB, "2.0"))
    meta.manifests.put(new_manifest("prod", "team/app", APP, "1.0", children=(LAYER, CONFIG)))
    meta.properties.set("dev", f"image:team/app@{APP.digest}", {"qa": ["passed"]})
    meta.properties.set("dev", "tag:team/app:latest", {"os": ["linux"]})
    meta.properties.set("dev", "tag:team/web:2.0", {"qa": ["passed", "manual"]})
    meta.generic.put(
        file("dev", "dist/app.tgz", "tgz", at=100.0), {"qa": ["passed"]}, may_overwrite=False
    )
    meta.generic.put(file("dev", "notes.txt", "txt", at=200.0), {}, may_overwrite=False)
    meta.generic.put(file("prod", "dist/app.tgz", "tgz", at=300.0), {}, may_overwrite=False)


def keys(hits: list[SearchHit]) -> list[tuple[str, str, str]]:
    return [(h.type, h.repository, h.name) for h in hits]


def find(meta: MetadataStore, **criteria: Any) -> list[tuple[str, str, str]]:
    """Every item that matches, as (type, repository, name)."""
    return keys(meta.search.find(SearchCriteria(**criteria), None, 100))


DEV_APP = ("image", "dev", "team/app")
DEV_WEB = ("image", "dev", "team/web")
DEV_TGZ = ("file", "dev", "dist/app.tgz")
DEV_TXT = ("file", "dev", "notes.txt")
PROD_APP = ("image", "prod", "team/app")
PROD_TGZ = ("file", "prod", "dist/app.tgz")
# In key order: repository, then image name or file path.
ALL = [DEV_TGZ, DEV_TXT, DEV_APP, DEV_WEB, PROD_TGZ, PROD_APP]


def test_everything_comes_in_key_order(meta: MetadataStore) -> None:
    assert find(meta) == ALL
    assert find(meta, types=(IMAGE,)) == [DEV_APP, DEV_WEB, PROD_APP]
    assert find(meta, types=(FILE,)) == [DEV_TGZ, DEV_TXT, PROD_TGZ]


def test_an_image_hit_holds_its_size_tags_and_properties(meta: MetadataStore) -> None:
    [hit] = meta.search.find(SearchCriteria(repositories=("dev",), name="team/app"), None, 10)
    assert (hit.type, hit.digest, hit.size, hit.tags) == (
        IMAGE,
        APP.digest,
        APP.size + 1100,
        ("1.0", "latest"),
    )
    assert hit.properties == {"os": ["linux"], "qa": ["passed"]}
    assert hit.modified >= hit.created > 0
    [web] = meta.search.find(SearchCriteria(name="team/web"), None, 10)
    assert (web.size, web.tags, web.properties) == (
        WEB.size,
        ("2.0",),
        {"qa": ["manual", "passed"]},
    )


def test_a_file_hit_holds_its_size_times_and_properties(meta: MetadataStore) -> None:
    [hit] = meta.search.find(SearchCriteria(repositories=("dev",), name="dist/*"), None, 10)
    assert hit == SearchHit(FILE, "dev", "dist/app.tgz", digest("tgz"), 3, 100.0, 100.0, ())
    assert hit.properties == {"qa": ["passed"]}


def test_criteria_narrow_the_search(meta: MetadataStore) -> None:
    assert find(meta, repositories=("prod",)) == [k for k in ALL if k[1] == "prod"]
    assert find(meta, repositories=()) == []
    assert find(meta, name="team/?pp") == [DEV_APP, PROD_APP]
    assert find(meta, name="*app*") == [DEV_TGZ, DEV_APP, PROD_TGZ, PROD_APP]
    assert find(meta, name="TEAM/*") == []  # case-sensitive
    assert find(meta, tag="1.0") == [DEV_APP, PROD_APP]
    assert find(meta, tag="2.0", repositories=("prod",)) == []
    assert find(meta, digest=APP.digest) == [DEV_APP, PROD_APP]
    assert find(meta, digest=digest("tgz")) == [DEV_TGZ, PROD_TGZ]


def test_properties_match_on_the_digest_or_a_tag_of_an_image(meta: MetadataStore) -> None:
    assert find(meta, properties=(("qa", "passed"),)) == [DEV_TGZ, DEV_APP, DEV_WEB]
    assert find(meta, properties=(("os", "linux"),)) == [DEV_APP]
    assert find(meta, properties=(("qa", "passed"), ("os", "linux"))) == [DEV_APP]
    assert find(meta, properties=(("qa", "manual"), ("os", "linux"))) == []
    assert find(meta, properties=(("qa", "passed"),), tag="2.0") == [DEV_WEB]


def test_time_ranges_include_their_start_and_exclude_their_end(meta: MetadataStore) -> None:
    assert find(meta, types=(FILE,), created_after=200.0) == [DEV_TXT, PROD_TGZ]
    assert find(meta, types=(FILE,), created_before=200.0) == [DEV_TGZ]
    assert find(meta, types=(FILE,), modified_after=100.0, modified_before=300.0) == [
        DEV_TGZ,
        DEV_TXT,
    ]
    assert find(meta, types=(IMAGE,), created_after=4e9) == []
    assert find(meta, types=(IMAGE,), modified_before=4e9) == [DEV_APP, DEV_WEB, PROD_APP]


def test_pages_follow_each_other_without_gaps_or_repeats(meta: MetadataStore) -> None:
    seen: list[tuple[str, str, str]] = []
    after = None
    while hits := meta.search.find(SearchCriteria(), after, 2):
        assert len(hits) <= 2
        seen += keys(hits)
        after = hits[-1].position
    assert seen == find(meta)
