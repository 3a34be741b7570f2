"""Properties: key → values on an image digest, a tag or a file."""

from __future__ import annotations

import pytest

from cargohold.meta.store import MetadataStore
from tests.contract.metadata.examples import file, manifest, new_manifest, repository

IMAGE = manifest("image")
ON_IMAGE = f"image:team/app@{IMAGE.digest}"


@pytest.fixture(autouse=True)
def repositories(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "prod")


def test_set_gives_each_key_exactly_its_values_and_keeps_the_others(meta: MetadataStore) -> None:
    assert meta.properties.set("dev", ON_IMAGE, {"qa": ["passed"], "os": ["linux"]}) == {
        "os": ["linux"],
        "qa": ["passed"],
    }
    assert meta.properties.set("dev", ON_IMAGE, {"qa": ["failed", "flaky", "failed"]}) == {
        "os": ["linux"],
        "qa": ["failed", "flaky"],
    }
    assert meta.properties.get("dev", ON_IMAGE) == {"os": ["linux"], "qa": ["failed", "flaky"]}
    assert meta.properties.get("prod", ON_IMAGE) == {}
    assert meta.properties.get("dev", "image:team/other@x") == {}


def test_replace_removes_the_keys_not_given(meta: MetadataStore) -> None:
    meta.properties.set("dev", ON_IMAGE, {"qa": ["passed"], "os": ["linux"]})
    assert meta.properties.set("dev", ON_IMAGE, {"build": ["7"]}, replace=True) == {"build": ["7"]}
    assert meta.properties.set("dev", ON_IMAGE, {}, replace=True) == {}


def test_delete_removes_the_keys_named_or_all(meta: MetadataStore) -> None:
    meta.properties.set("dev", ON_IMAGE, {"qa": ["passed"], "os": ["linux"], "arch": ["arm64"]})
    meta.properties.set("dev", "tag:team/app:1.0", {"qa": ["passed"]})
    meta.properties.delete("dev", ON_IMAGE, ["qa", "none"])
    assert meta.properties.get("dev", ON_IMAGE) == {"arch": ["arm64"], "os": ["linux"]}
    meta.properties.delete("dev", ON_IMAGE, None)
    assert meta.properties.get("dev", ON_IMAGE) == {}
    assert meta.properties.get("dev", "tag:team/app:1.0") == {"qa": ["passed"]}


def test_copy_sets_the_keys_of_the_source_on_the_target(meta: MetadataStore) -> None:
    meta.properties.set("dev", ON_IMAGE, {"qa": ["passed"], "os": ["linux"]})
    meta.properties.set("prod", ON_IMAGE, {"qa": ["pending"], "stage": ["prod"]})
    meta.properties.copy("dev", ON_IMAGE, "prod", ON_IMAGE)
    assert meta.properties.get("prod", ON_IMAGE) == {
        "os": ["linux"],
        "qa": ["passed"],
        "stage": ["prod"],
    }
    assert meta.properties.get("dev", ON_IMAGE) == {"os": ["linux"], "qa": ["passed"]}


def test_a_subject_exists_while_its_artifact_does(meta: MetadataStore) -> None:
    meta.manifests.put(new_manifest("dev", "team/app", IMAGE, "1.0"))
    meta.generic.put(file("dev", "dist/a.txt"), {}, may_overwrite=False)
    exists = meta.properties.exists
    assert exists("dev", ON_IMAGE)
    assert exists("dev", "tag:team/app:1.0")
    assert exists("dev", "file:dist/a.txt")
    assert not exists("prod", ON_IMAGE)
    assert not exists("dev", "tag:team/app:2.0")
    assert not exists("dev", "file:dist")
    assert not exists("dev", "other:team/app")
    meta.manifests.delete("dev", "team/app", IMAGE.digest)
    assert not exists("dev", ON_IMAGE)
    assert not exists("dev", "tag:team/app:1.0")
