"""Image archives a user deploys as files, made by real skopeo from an OCI layout the tests
write: oci-archive and docker-archive tarballs, a multi-platform index with an SBOM
artifact beside its images, and the legacy docker save layout with symlinked layers."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from cargohold.analysis.catalogers import CATALOGERS
from cargohold.analysis.unpack import Budget, Limits, apply_layers, image_archive, walk
from cargohold.analysis.unpack.image_archive import (
    ArchivedImage,
    ImageArchive,
    ImageArchiveError,
    open_image_archive,
)
from tests.images import descriptor, make_image, sha256, write_oci_layout

SITE = "usr/lib/python3/site-packages"
REQUESTS = f"{SITE}/requests-2.31.0.dist-info/METADATA"
URLLIB3 = f"{SITE}/urllib3-2.0.7.dist-info/METADATA"
# The upper layer deletes urllib3: only a walk of the layers in order misses it.
APP = make_image(
    [
        {
            REQUESTS: b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
            URLLIB3: b"Metadata-Version: 2.1\nName: urllib3\nVersion: 2.0.7\n",
        },
        {f"{SITE}/.wh.urllib3-2.0.7.dist-info": b""},
    ]
)
ARM = make_image([{"etc/arm": b"arm"}], architecture="arm64")
SBOM = b'{"spdxVersion": "SPDX-2.3"}'


@dataclass(frozen=True)
class Archives:
    oci: Path
    docker: Path
    multi: Path


def _skopeo(source: str, target: str, *, all_images: bool = False) -> None:
    command = ["skopeo", "copy", "-q", *(["--all"] if all_images else []), source, target]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _add_sbom_artifact(layout: Path) -> None:
    """Put an SBOM artifact manifest (as attached by oras or buildx) in the layout's index."""
    blobs = layout / "blobs" / "sha256"
    index_path = layout / "index.json"
    top = json.loads(index_path.read_text())
    inner_descriptor = top["manifests"][0]
    inner = json.loads((blobs / inner_descriptor["digest"][7:]).read_bytes())
    artifact = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/spdx+json",
            "config": descriptor("application/vnd.oci.empty.v1+json", b"{}"),
            "layers": [descriptor("application/spdx+json", SBOM)],
        }
    ).encode()
    inner["manifests"].append(
        descriptor(
            "application/vnd.oci.image.manifest.v1+json",
            artifact,
            platform={"architecture": "unknown", "os": "unknown"},
        )
    )
    new_inner = json.dumps(inner).encode()
    for blob in (b"{}", SBOM, artifact, new_inner):
        (blobs / sha256(blob)[7:]).write_bytes(blob)
    top["manifests"][0] = descriptor(
        "application/vnd.oci.image.index.v1+json",
        new_inner,
        annotations=inner_descriptor["annotations"],
    )
    index_path.write_text(json.dumps(top))


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Archives:
    work = tmp_path_factory.mktemp("image-archives")
    single = write_oci_layout(work / "single", {"v1": APP})
    multi = write_oci_layout(work / "multi", {"amd64": APP, "arm64": ARM}, index_tag="multi")
    _add_sbom_artifact(multi)
    found = Archives(work / "oci.tar", work / "docker.tar", work / "multi.tar")
    _skopeo(f"oci:{single}:v1", f"oci-archive:{found.oci}:example.com/app:v1")
    _skopeo(f"oci:{single}:v1", f"docker-archive:{found.docker}:example.com/app:v1")
    _skopeo(f"oci:{multi}:multi", f"oci-archive:{found.multi}:multi", all_images=True)
    return found


def _components(image: ArchivedImage, tmp_path: Path) -> list[tuple[str, str, str]]:
    limits = Limits()
    budget = Budget(limits)
    with apply_layers(image.layers, tmp_path, budget) as view:
        inventory = walk(view.files(), CATALOGERS, limits, tmp_dir=tmp_path, budget=budget)
    assert inventory.complete, inventory.incomplete
    return sorted((c.name, c.version, c.evidence) for c in inventory.components)


def _opened(path: Path, budget: Budget | None = None) -> ImageArchive:
    archive = open_image_archive(path, budget or Budget(Limits()), evidence="sha256:up")
    assert archive is not None
    return archive


def _copy_of(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes())
    return target


def _append(archive: Path, members: dict[str, bytes | str]) -> None:
    """Append files (bytes) and symlinks (str targets); a later member replaces an earlier."""
    with tarfile.open(archive, "a") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))


def test_an_oci_archive_gives_its_layers_in_order(archives: Archives, tmp_path: Path) -> None:
    with _opened(archives.oci) as archive:
        assert archive.kind == "oci-layout"
        (image,) = archive.images
        assert (image.name, image.digest, image.platform) == (
            "example.com/app:v1",
            APP.digest,
            "linux/amd64",
        )
        assert [(layer.digest, layer.size) for layer in image.layers] == [
            (sha256(blob), len(blob)) for blob in APP.layers
        ]
        assert [layer.open().read() for layer in image.layers] == APP.layers
        assert _components(image, tmp_path) == [
            ("requests", "2.31.0", f"{sha256(APP.layers[0])}!/{REQUESTS}")
        ]


def test_a_docker_archive_gives_its_uncompressed_layers_by_content_digest(
    archives: Archives, tmp_path: Path
) -> None:
    with _opened(archives.docker) as archive:
        assert archive.kind == "docker-archive"
        (image,) = archive.images
        assert (image.name, image.digest, image.platform) == (
            "example.com/app:v1",
            None,
            "linux/amd64",
        )
        assert [layer.digest for layer in image.layers] == APP.diff_ids
        assert _components(image, tmp_path) == [
            ("requests", "2.31.0", f"{APP.diff_ids[0]}!/{REQUESTS}")
        ]


def test_the_legacy_docker_save_layout_with_symlinked_layers(
    archives: Archives, tmp_path: Path
) -> None:
    legacy = _copy_of(archives.docker, tmp_path / "legacy.tar")
    with tarfile.open(legacy) as tar:
        links = {m.linkname.rsplit("/", 1)[-1]: m.name for m in tar if m.issym()}
        (entry,) = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    entry["Layers"] = [links[name] for name in entry["Layers"]]  # "<id>/layer.tar" -> ../x.tar
    _append(legacy, {"manifest.json": json.dumps([entry]).encode()})
    with _opened(legacy) as archive:
        (image,) = archive.images
        assert [layer.digest for layer in image.layers] == APP.diff_ids
        assert _components(image, tmp_path)[0][:2] == ("requests", "2.31.0")


def test_a_multi_platform_index_gives_each_image_and_skips_the_sbom_artifact(
    archives: Archives,
) -> None:
    with _opened(archives.multi) as archive:
        assert [(i.name, i.digest, i.platform) for i in archive.images] == [
            ("multi", APP.digest, "linux/amd64"),
            ("multi", ARM.digest, "linux/arm64"),
        ]
        assert [len(i.layers) for i in archive.images] == [2, 1]
    with tarfile.open(archives.multi) as tar:
        assert f"blobs/sha256/{sha256(SBOM)[7:]}" in tar.getnames()  # it is there, skipped


def test_past_the_image_limit_the_rest_is_left_out_with_a_reason(
    archives: Archives, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_archive, "MAX_IMAGES", 1)
    budget = Budget(Limits())
    with _opened(archives.multi, budget) as archive:
        assert [i.platform for i in archive.images] == ["linux/amd64"]
    assert budget.reasons == ("sha256:up: image limit 1 reached at multi: the rest not searched",)


def _tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_other_files_are_not_image_archives(archives: Archives, tmp_path: Path) -> None:
    web_app = _tar(tmp_path / "site.tar", {"manifest.json": b'{"name": "my web app"}'})
    sources = _tar(tmp_path / "src.tar", {"src/index.json": b"{}", "README": b"hi"})
    compressed = tmp_path / "oci.tar.gz"
    compressed.write_bytes(gzip.compress(archives.oci.read_bytes()))
    text = tmp_path / "notes.txt"
    text.write_text("not a tar")
    for path in (web_app, sources, compressed, text):
        assert open_image_archive(path, Budget(Limits())) is None, path


def _without(source: Path, target: Path, dropped: str) -> Path:
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            if member.name != dropped:
                new.addfile(member, old.extractfile(member) if member.isreg() else None)
    return target


def test_a_missing_layer_blob_is_an_error(archives: Archives, tmp_path: Path) -> None:
    blob = f"blobs/sha256/{sha256(APP.layers[1])[7:]}"
    damaged = _without(archives.oci, tmp_path / "damaged.tar", blob)
    with pytest.raises(ImageArchiveError, match=rf"layer {sha256(APP.layers[1])} of .* is not"):
        open_image_archive(damaged, Budget(Limits()), evidence="upload")


def test_a_layer_path_escaping_the_archive_is_an_error(archives: Archives, tmp_path: Path) -> None:
    evil = _copy_of(archives.docker, tmp_path / "evil.tar")
    with tarfile.open(evil) as tar:
        (entry,) = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    cases = [
        ("evil/layer.tar", "links out of the archive"),  # a symlink to ../../../etc/passwd
        ("../outside.tar", "is not inside the archive"),
    ]
    for name, problem in cases:
        entry["Layers"] = [name]
        _append(evil, {"manifest.json": json.dumps([entry]).encode()})
        if name == "evil/layer.tar":
            _append(evil, {name: "../../../etc/passwd"})
        with pytest.raises(ImageArchiveError, match=problem):
            open_image_archive(evil, Budget(Limits()))


def test_layers_are_unreadable_once_the_archive_is_closed(archives: Archives) -> None:
    archive = _opened(archives.oci)
    layer = archive.images[0].layers[0]
    archive.close()
    with pytest.raises((OSError, ValueError)):
        layer.open().read()
