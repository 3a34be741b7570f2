"""Images made by the tests themselves: tar layers written in Python, OCI layouts and
docker-archives that skopeo and docker read. Nothing is pulled from outside."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_layer(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar with the given files (deterministic timestamps)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mode = 0o755
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@dataclass
class Image:
    """One single-platform image: gzip layers, a config and an OCI manifest."""

    layers: list[bytes]  # compressed
    diff_ids: list[str]
    config: bytes
    architecture: str = "amd64"
    manifest: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": descriptor(OCI_CONFIG, self.config),
                "layers": [descriptor(OCI_LAYER, layer) for layer in self.layers],
            }
        ).encode()

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    @property
    def blobs(self) -> list[bytes]:
        return [self.config, *self.layers]


def descriptor(media_type: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def make_image(
    files_per_layer: list[dict[str, bytes]], architecture: str = "amd64", label: str = "test"
) -> Image:
    raw = [tar_layer(files) for files in files_per_layer]
    layers = [gzip.compress(data, mtime=0) for data in raw]
    diff_ids = [sha256(data) for data in raw]
    config = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {"Cmd": ["/hello"], "Labels": {"made-by": label}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"cargohold tests layer {i}"} for i in range(len(raw))],
        },
        sort_keys=True,
    ).encode()
    return Image(layers, diff_ids, config, architecture)


def write_oci_layout(
    directory: Path, images: dict[str, Image], index_tag: str | None = None
) -> Path:
    """An OCI image layout; each image tagged by its key, or all under one index tag."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    entries = []
    for tag, image in images.items():
        for blob in [*image.blobs, image.manifest]:
            (blobs / sha256(blob).removeprefix("sha256:")).write_bytes(blob)
        entry = descriptor(OCI_MANIFEST, image.manifest)
        entry["platform"] = {"architecture": image.architecture, "os": "linux"}
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        entries.append(entry)
    if index_tag is not None:
        inner = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [{k: v for k, v in e.items() if k != "annotations"} for e in entries],
            }
        ).encode()
        (blobs / sha256(inner).removeprefix("sha256:")).write_bytes(inner)
        entries = [
            descriptor(
                OCI_INDEX, inner, annotations={"org.opencontainers.image.ref.name": index_tag}
            )
        ]
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (directory / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    )
    return directory


def write_docker_archive(path: Path, image: Image, repo_tag: str) -> Path:
    """A `docker save` archive (uncompressed layers) of the image."""
    with tarfile.open(path, "w") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        layer_names = []
        for compressed in image.layers:
            raw = gzip.decompress(compressed)
            name = f"{hashlib.sha256(raw).hexdigest()}/layer.tar"
            add(name, raw)
            layer_names.append(name)
        config_name = f"{hashlib.sha256(image.config).hexdigest()}.json"
        add(config_name, image.config)
        manifest = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": layer_names}]
        add("manifest.json", json.dumps(manifest).encode())
    return path


__all__ = [
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_LAYER",
    "OCI_MANIFEST",
    "Image",
    "descriptor",
    "make_image",
    "sha256",
    "tar_layer",
    "write_docker_archive",
    "write_oci_layout",
]
