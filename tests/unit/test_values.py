"""Digests, names, references and manifest parsing."""

from __future__ import annotations

import json

import pytest

from cargohold.core import mediatypes as mt
from cargohold.core.digest import Digest
from cargohold.core.errors import DigestInvalid, ManifestInvalid, NameInvalid, RepositoryInvalid
from cargohold.core.manifest import parse_manifest
from cargohold.core.names import ImageName, Reference, validate_repository_key

HEX = "a" * 64


def test_digest_round_trip() -> None:
    digest = Digest.parse(f"sha256:{HEX}")
    assert (digest.algorithm, digest.hex, str(digest)) == ("sha256", HEX, f"sha256:{HEX}")
    assert Digest.of(b"") == Digest.parse(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert Digest.of(b"x", "sha512").algorithm == "sha512"


@pytest.mark.parametrize(
    "text",
    ["", "sha256", f"sha256:{HEX[:-1]}", f"sha256:{HEX.upper()}", f"md5:{HEX}", f"SHA256:{HEX}"],
)
def test_digest_rejects(text: str) -> None:
    with pytest.raises(DigestInvalid):
        Digest.parse(text)


def test_image_name_splits_the_repository_key() -> None:
    name = ImageName.parse("dev/team/app")
    assert (name.repository, name.image, str(name)) == ("dev", "team/app", "dev/team/app")


@pytest.mark.parametrize("text", ["dev", "Dev/app", "dev//app", "dev/app/", "dev/a__-b", "a" * 300])
def test_image_name_rejects(text: str) -> None:
    with pytest.raises(NameInvalid):
        ImageName.parse(text)


def test_reference() -> None:
    assert Reference.parse("v1.0_rc-1").tag == "v1.0_rc-1"
    assert Reference.parse(f"sha256:{HEX}").digest == Digest("sha256", HEX)
    for bad in (".hidden", "-x", "a" * 129, "a/b"):
        with pytest.raises(NameInvalid):
            Reference.parse(bad)


def test_repository_keys() -> None:
    assert validate_repository_key("team-a.prod") == "team-a.prod"
    for bad in ("", "UPPER", "-x", "a" * 65, "a/b"):
        with pytest.raises(RepositoryInvalid):
            validate_repository_key(bad)


def descriptor(media_type: str = "application/octet-stream") -> dict[str, object]:
    return {"mediaType": media_type, "digest": f"sha256:{HEX}", "size": 3}


def test_parse_image_manifest_with_subject_and_artifact_type() -> None:
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": "application/vnd.example+json",
            "config": descriptor(mt.OCI_EMPTY),
            "layers": [descriptor()],
            "subject": descriptor(mt.OCI_MANIFEST),
            "annotations": {"a": "b"},
        }
    ).encode()
    manifest = parse_manifest(body, mt.OCI_MANIFEST)
    assert manifest.effective_artifact_type == "application/vnd.example+json"
    assert manifest.subject is not None and manifest.subject.digest.hex == HEX
    assert manifest.annotations == {"a": "b"}
    assert not manifest.is_index


def test_artifact_type_falls_back_to_the_config_media_type() -> None:
    body = json.dumps(
        {"schemaVersion": 2, "config": descriptor("application/x-config"), "layers": []}
    ).encode()
    assert parse_manifest(body, mt.OCI_MANIFEST).effective_artifact_type == "application/x-config"


def test_index_without_declared_type_is_detected() -> None:
    body = json.dumps({"schemaVersion": 2, "manifests": [descriptor(mt.OCI_MANIFEST)]}).encode()
    manifest = parse_manifest(body, None)
    assert manifest.media_type == mt.OCI_INDEX
    assert manifest.is_index


@pytest.mark.parametrize(
    ("document", "content_type"),
    [
        ({"schemaVersion": 2, "config": descriptor(), "layers": {}}, mt.OCI_MANIFEST),
        ({"schemaVersion": 2, "config": descriptor(), "annotations": {"a": 1}}, mt.OCI_MANIFEST),
        ({"schemaVersion": 2, "config": {**descriptor(), "size": True}}, mt.OCI_MANIFEST),
        ({"schemaVersion": 2, "config": descriptor()}, mt.DOCKER_SCHEMA1_SIGNED),
        ({"schemaVersion": 2, "config": descriptor(), "artifactType": 3}, mt.OCI_MANIFEST),
    ],
)
def test_parse_rejects(document: dict[str, object], content_type: str) -> None:
    with pytest.raises(ManifestInvalid):
        parse_manifest(json.dumps(document).encode(), content_type)
