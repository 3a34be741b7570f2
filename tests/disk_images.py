"""Images whose layers are files on disk: for layers of a hundred megabytes and more, which the
in-memory ``tests.images.Image`` would hold in memory (twice, compressed and not). A layer is
gzipped from its tar once; the docker-archive is written by streaming, and a push streams each
blob from disk (``chunks``)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.images import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, descriptor

CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


@dataclass(frozen=True, slots=True)
class LayerBlob:
    """A gzipped layer on disk, with the digest of its tar (the diff ID)."""

    path: Path
    digest: str
    size: int
    diff_id: str
    tar_size: int

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": OCI_LAYER, "digest": self.digest, "size": self.size}

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "digest": self.digest,
            "size": self.size,
            "diff_id": self.diff_id,
            "tar_size": self.tar_size,
        }

    @classmethod
    def from_json(cls, folder: Path, doc: dict[str, Any]) -> LayerBlob:
        return cls(
            folder / doc["file"], doc["digest"], doc["size"], doc["diff_id"], doc["tar_size"]
        )


def gzip_layer(tar: Path, target: Path) -> LayerBlob:
    """``tar`` gzipped (level 6, no timestamp: the same bytes every time) to ``target``."""
    partial = target.with_name(target.name + ".partial")
    plain = hashlib.sha256()
    with (
        tar.open("rb") as source,
        partial.open("wb") as sink,
        gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=sink, mtime=0) as out,
    ):
        while chunk := source.read(CHUNK):
            plain.update(chunk)
            out.write(chunk)
    partial.rename(target)
    return LayerBlob(
        target,
        file_digest(target),
        target.stat().st_size,
        "sha256:" + plain.hexdigest(),
        tar.stat().st_size,
    )


@dataclass(frozen=True, slots=True)
class DiskImage:
    """One single-platform image: gzip layers on disk, a config and an OCI manifest."""

    layers: tuple[LayerBlob, ...]
    config: bytes

    @property
    def manifest(self) -> bytes:
        return json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": descriptor(OCI_CONFIG, self.config),
                "layers": [layer.descriptor() for layer in self.layers],
            }
        ).encode()

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()

    @property
    def config_digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.config).hexdigest()

    @property
    def diff_ids(self) -> list[str]:
        return [layer.diff_id for layer in self.layers]

    @property
    def size(self) -> int:
        """Bytes a push sends: manifest, config and layers."""
        return len(self.manifest) + len(self.config) + sum(layer.size for layer in self.layers)


def disk_image(
    layers: Sequence[LayerBlob], history: Sequence[str], cmd: Sequence[str] = ("/bin/bash",)
) -> DiskImage:
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2023-11-14T22:13:20Z",
            "config": {"Cmd": list(cmd), "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
            "history": [{"created_by": text} for text in history],
        },
        sort_keys=True,
    ).encode()
    return DiskImage(tuple(layers), config)


def write_docker_archive(path: Path, image: DiskImage, repo_tag: str) -> Path:
    """A ``docker save`` archive of the image (uncompressed layers), streamed from disk."""
    with tarfile.open(path, "w") as archive:
        layer_names = []
        for layer in image.layers:
            name = f"{layer.diff_id.removeprefix('sha256:')}/layer.tar"
            info = tarfile.TarInfo(name)
            info.size = layer.tar_size
            with gzip.open(layer.path, "rb") as plain:
                archive.addfile(info, plain)
            layer_names.append(name)
        config_name = f"{image.config_digest.removeprefix('sha256:')}.json"
        _add_bytes(archive, config_name, image.config)
        manifest = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": layer_names}]
        _add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
    return path


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


__all__ = [
    "DiskImage",
    "LayerBlob",
    "chunks",
    "disk_image",
    "file_digest",
    "gzip_layer",
    "write_docker_archive",
]
