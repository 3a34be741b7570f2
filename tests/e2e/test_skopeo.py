"""skopeo against the real server: push from an OCI layout and a docker-archive, format
conversion, copies between tags and repositories (blob mounts), sync, inspect, list-tags,
delete and multi-arch indexes. Every skopeo run uses a private home, auth file, policy and
registries configuration, so nothing of the machine's own configuration is read."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.clients import Skopeo, layout_blob, layout_manifest
from tests.images import (
    OCI_INDEX,
    OCI_MANIFEST,
    Image,
    make_image,
    sha256,
    write_docker_archive,
    write_oci_layout,
)
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e

CREDS = f"{ADMIN_USER}:{ADMIN_PASSWORD}"
DOCKER_V2S2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


@pytest.fixture(scope="module")
def skopeo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Skopeo]:
    yield Skopeo(tmp_path_factory.mktemp("skopeo-home"))


@pytest.fixture(scope="module", autouse=True)
def anonymous_reads(server: CargoholdServer) -> None:
    """Pushes need credentials; pulls, inspections and listings here are anonymous, as from
    repositories an admin opened to anonymous reads."""
    server.admin.allow_anonymous_read("dev", "staging", "prod")


def oci_layout(tmp_path: Path, tag: str, image: Image) -> str:
    return f"oci:{write_oci_layout(tmp_path / 'layout', {tag: image})}:{tag}"


def get_blob(server: CargoholdServer, name: str, digest: str) -> bytes:
    response = httpx.get(f"{server.url}/v2/{name}/blobs/{digest}", follow_redirects=True)
    assert response.status_code == 200, response.text
    return response.content


def tags_of(server: CargoholdServer, name: str) -> list[str]:
    response = httpx.get(f"{server.url}/v2/{name}/tags/list")
    assert response.status_code == 200, response.text
    tags: list[str] = response.json()["tags"]
    return tags


def test_push_oci_layout_and_pull_it_back_byte_identical(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"oci layout"}, {"etc/motd": b"two layers"}], label="oci")
    skopeo.push(oci_layout(tmp_path, "1.0", image), server, "dev/skopeo-oci:1.0")

    pulled = tmp_path / "pulled"
    skopeo(
        "copy",
        "--src-tls-verify=false",
        f"docker://{server.host}/dev/skopeo-oci:1.0",
        f"oci:{pulled}:back",
    )

    assert layout_manifest(pulled, "back") == image.manifest
    for blob in image.blobs:
        assert layout_blob(pulled, sha256(blob)) == blob


def test_push_docker_archive_keeps_config_and_layer_contents(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"bin/tool": b"from a docker save"}, {"etc/conf": b"x=1"}], label="arch")
    archive = write_docker_archive(tmp_path / "image.tar", image, "local/archive:1")
    skopeo.push(f"docker-archive:{archive}", server, "dev/skopeo-archive:1")

    manifest = json.loads(skopeo.raw_manifest(server, "dev/skopeo-archive:1"))
    assert manifest["mediaType"] == DOCKER_V2S2
    assert manifest["config"]["digest"] == sha256(image.config)
    assert get_blob(server, "dev/skopeo-archive", sha256(image.config)) == image.config
    # skopeo compresses the archive's tar layers itself: compare what they unpack to
    layer_contents = [
        sha256(gzip.decompress(get_blob(server, "dev/skopeo-archive", layer["digest"])))
        for layer in manifest["layers"]
    ]
    assert layer_contents == image.diff_ids

    details = json.loads(
        skopeo(
            "inspect",
            "--tls-verify=false",
            "--no-creds",
            f"docker://{server.host}/dev/skopeo-archive:1",
        ).stdout
    )
    assert details["Architecture"] == "amd64"
    assert details["Labels"] == {"made-by": "arch"}


def test_push_as_docker_v2s2_is_served_as_v2s2(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"converted to v2s2"}], label="v2s2")
    skopeo.push(oci_layout(tmp_path, "1", image), server, "dev/skopeo-v2s2:1", "--format", "v2s2")

    raw = skopeo.raw_manifest(server, "dev/skopeo-v2s2:1")
    manifest = json.loads(raw)
    assert manifest["mediaType"] == DOCKER_V2S2
    assert manifest["config"]["mediaType"] == DOCKER_CONFIG
    assert [layer["mediaType"] for layer in manifest["layers"]] == [DOCKER_LAYER]
    assert [layer["digest"] for layer in manifest["layers"]] == [sha256(image.layers[0])]

    response = httpx.get(
        f"{server.url}/v2/dev/skopeo-v2s2/manifests/1",
        headers={"Accept": f"{DOCKER_V2S2}, {OCI_MANIFEST}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCKER_V2S2
    assert response.content == raw
    assert response.headers["docker-content-digest"] == sha256(raw)


def test_copy_between_tags_serves_the_same_manifest(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"retag me"}], label="retag")
    skopeo.push(oci_layout(tmp_path, "1", image), server, "dev/skopeo-retag:1")

    skopeo(
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--dest-creds",
        CREDS,
        f"docker://{server.host}/dev/skopeo-retag:1",
        f"docker://{server.host}/dev/skopeo-retag:stable",
    )

    assert skopeo.raw_manifest(server, "dev/skopeo-retag:stable") == image.manifest
    assert sorted(tags_of(server, "dev/skopeo-retag")) == ["1", "stable"]


def test_copy_between_repositories_mounts_the_layers(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"promote me"}, {"data": b"second layer"}], label="promote")
    skopeo.push(oci_layout(tmp_path, "1", image), server, "dev/skopeo-promote:1")

    result = skopeo(
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--dest-creds",
        CREDS,
        f"docker://{server.host}/dev/skopeo-promote:1",
        f"docker://{server.host}/prod/skopeo-promote:1",
        global_args=("--debug",),
    )

    assert skopeo.raw_manifest(server, "prod/skopeo-promote:1") == image.manifest
    for blob in image.blobs:
        assert get_blob(server, "prod/skopeo-promote", sha256(blob)) == blob
    # skopeo asked the registry to mount every layer from dev/ and the registry did;
    # no layer was uploaded again
    log = result.stderr
    for layer in image.layers:
        hex_digest = sha256(layer).removeprefix("sha256:")
        assert (
            f"POST http://{server.host}/v2/prod/skopeo-promote/blobs/uploads/"
            f"?from=dev%2Fskopeo-promote&mount=sha256%3A{hex_digest}"
        ) in log
        assert not re.search(rf"PUT \S+/v2/prod/skopeo-promote/blobs/uploads/\S+{hex_digest}", log)
    assert log.count("... mount OK") == len(image.layers), log


def test_sync_repository_to_directory_and_to_another_repository(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    images = {
        "1": make_image([{"hello": b"sync one"}], label="sync-1"),
        "2": make_image([{"hello": b"sync two"}], label="sync-2"),
    }
    for tag, image in images.items():
        skopeo.push(oci_layout(tmp_path / tag, tag, image), server, f"dev/skopeo-sync:{tag}")

    out = tmp_path / "mirror-dir"
    skopeo(
        "sync",
        "--src",
        "docker",
        "--dest",
        "dir",
        "--src-tls-verify=false",
        f"{server.host}/dev/skopeo-sync",
        str(out),
    )
    assert sorted(path.name for path in out.iterdir()) == ["skopeo-sync:1", "skopeo-sync:2"]
    for tag, image in images.items():
        copied = out / f"skopeo-sync:{tag}"
        assert (copied / "manifest.json").read_bytes() == image.manifest
        for blob in image.blobs:
            assert (copied / sha256(blob).removeprefix("sha256:")).read_bytes() == blob

    skopeo(
        "sync",
        "--src",
        "docker",
        "--dest",
        "docker",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--dest-creds",
        CREDS,
        f"{server.host}/dev/skopeo-sync",
        f"{server.host}/staging/mirror",
    )
    assert sorted(tags_of(server, "staging/mirror/skopeo-sync")) == ["1", "2"]
    for tag, image in images.items():
        assert skopeo.raw_manifest(server, f"staging/mirror/skopeo-sync:{tag}") == image.manifest


def test_inspect_anonymously(skopeo: Skopeo, server: CargoholdServer, tmp_path: Path) -> None:
    image = make_image([{"hello": b"inspect me"}], architecture="arm64", label="inspect")
    skopeo.push(oci_layout(tmp_path, "1", image), server, "dev/skopeo-inspect:1")

    assert skopeo.raw_manifest(server, "dev/skopeo-inspect:1") == image.manifest
    assert skopeo.raw_manifest(server, f"dev/skopeo-inspect@{image.digest}") == image.manifest
    details = json.loads(
        skopeo(
            "inspect",
            "--tls-verify=false",
            "--no-creds",
            f"docker://{server.host}/dev/skopeo-inspect:1",
        ).stdout
    )
    assert details["Digest"] == image.digest
    assert details["Architecture"] == "arm64"
    assert details["Os"] == "linux"
    assert details["Labels"] == {"made-by": "inspect"}
    assert details["RepoTags"] == ["1"]
    assert details["Layers"] == [sha256(layer) for layer in image.layers]


def test_list_tags(skopeo: Skopeo, server: CargoholdServer, tmp_path: Path) -> None:
    image = make_image([{"hello": b"many tags"}], label="tags")
    source = oci_layout(tmp_path, "src", image)
    for tag in ("v1", "v2", "latest"):
        skopeo.push(source, server, f"dev/skopeo-tags:{tag}")

    listed = json.loads(
        skopeo(
            "list-tags",
            "--tls-verify=false",
            "--no-creds",
            f"docker://{server.host}/dev/skopeo-tags",
        ).stdout
    )
    assert listed["Repository"] == f"{server.host}/dev/skopeo-tags"
    assert sorted(listed["Tags"]) == ["latest", "v1", "v2"]


def test_delete_removes_the_manifest(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"delete me"}], label="delete")
    skopeo.push(oci_layout(tmp_path, "1", image), server, "dev/skopeo-delete:1")
    reference = f"docker://{server.host}/dev/skopeo-delete:1"

    anonymous = skopeo("delete", "--tls-verify=false", "--no-creds", reference, check=False)
    assert anonymous.returncode != 0
    assert "401" in anonymous.stderr or "unauthorized" in anonymous.stderr.lower()
    assert skopeo.raw_manifest(server, "dev/skopeo-delete:1") == image.manifest

    skopeo("delete", "--tls-verify=false", "--creds", CREDS, reference)

    gone = skopeo("inspect", "--raw", "--tls-verify=false", "--no-creds", reference, check=False)
    assert gone.returncode != 0
    assert "manifest unknown" in gone.stderr.lower()
    by_digest = httpx.get(
        f"{server.url}/v2/dev/skopeo-delete/manifests/{image.digest}",
        headers={"Accept": OCI_MANIFEST},
    )
    assert by_digest.status_code == 404
    assert by_digest.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def test_copy_all_pushes_a_multi_arch_index(
    skopeo: Skopeo, server: CargoholdServer, tmp_path: Path
) -> None:
    amd64 = make_image([{"hello": b"amd64 build"}], architecture="amd64", label="multi-amd64")
    arm64 = make_image([{"hello": b"arm64 build"}], architecture="arm64", label="multi-arm64")
    layout = write_oci_layout(tmp_path / "layout", {"amd": amd64, "arm": arm64}, index_tag="1")
    index = layout_manifest(layout, "1")

    skopeo.push(f"oci:{layout}:1", server, "dev/skopeo-multi:1", "--all")

    assert skopeo.raw_manifest(server, "dev/skopeo-multi:1") == index
    head = httpx.head(
        f"{server.url}/v2/dev/skopeo-multi/manifests/1", headers={"Accept": OCI_INDEX}
    )
    assert head.status_code == 200
    assert head.headers["content-type"] == OCI_INDEX
    assert head.headers["docker-content-digest"] == sha256(index)
    for image in (amd64, arm64):
        assert skopeo.raw_manifest(server, f"dev/skopeo-multi@{image.digest}") == image.manifest

    pulled = tmp_path / "pulled"
    skopeo(
        "copy",
        "--src-tls-verify=false",
        f"docker://{server.host}/dev/skopeo-multi:1",
        f"oci:{pulled}:arm",
        global_args=("--override-arch", "arm64"),
    )
    assert layout_manifest(pulled, "arm") == arm64.manifest
    assert layout_blob(pulled, sha256(arm64.config)) == arm64.config
