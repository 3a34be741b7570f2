"""A test image built in memory (gzipped tar layers of incompressible bytes) and its push.

The push is what a client does over plain HTTP: for each blob ``HEAD`` (skip it if present),
``POST`` an upload, ``PUT ?digest=`` the whole blob (monolithic), then ``PUT`` the manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
from dataclasses import dataclass

import httpx

from bench.servers import Target

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
IMAGE_NAME = "dev/bench/app"  # first segment is the repository key on cargohold
TAG = "1.0"


@dataclass(frozen=True, slots=True)
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def descriptor(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


@dataclass(frozen=True, slots=True)
class Image:
    name: str
    tag: str
    config: Blob
    layers: tuple[Blob, ...]
    manifest: bytes

    @property
    def manifest_digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()

    @property
    def total_bytes(self) -> int:
        """Bytes a client downloads for one pull: manifest, config and layers."""
        blobs = len(self.config.data) + sum(len(layer.data) for layer in self.layers)
        return len(self.manifest) + blobs


def _layer(index: int, payload: bytes) -> tuple[Blob, str]:
    """A gzipped tar holding one file; returns the blob and the diff ID of the plain tar."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
        member = tarfile.TarInfo(f"opt/bench/payload-{index}.bin")
        member.size = len(payload)
        member.mtime = 0
        member.mode = 0o644
        tar.addfile(member, io.BytesIO(payload))
    plain = archive.getvalue()
    compressed = gzip.compress(plain, compresslevel=1, mtime=0)
    return Blob(OCI_LAYER, compressed), "sha256:" + hashlib.sha256(plain).hexdigest()


def build_image(layers: int = 5, layer_bytes: int = 2 * 1024 * 1024, seed: int = 1) -> Image:
    """The same bytes for the same arguments (a seeded generator, fixed timestamps)."""
    rng = random.Random(seed)
    blobs: list[Blob] = []
    diff_ids: list[str] = []
    for index in range(layers):
        blob, diff_id = _layer(index, rng.randbytes(layer_bytes))
        blobs.append(blob)
        diff_ids.append(diff_id)
    config_doc = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"bench layer {i}"} for i in range(layers)],
    }
    config = Blob(OCI_CONFIG, json.dumps(config_doc, separators=(",", ":")).encode())
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [blob.descriptor() for blob in blobs],
    }
    manifest = json.dumps(manifest_doc, separators=(",", ":")).encode()
    return Image(IMAGE_NAME, TAG, config, tuple(blobs), manifest)


def _push_blob(client: httpx.Client, name: str, blob: Blob) -> None:
    if client.head(f"/v2/{name}/blobs/{blob.digest}").status_code == 200:
        return
    started = client.post(f"/v2/{name}/blobs/uploads/")
    if started.status_code != 202:
        raise RuntimeError(f"upload start: {started.status_code} {started.text[:300]}")
    location = httpx.URL(started.headers["location"])
    done = client.put(
        location,
        params=location.params.set("digest", blob.digest),
        content=blob.data,
        headers={"Content-Type": "application/octet-stream"},
    )
    if done.status_code != 201:
        raise RuntimeError(f"upload of {blob.digest}: {done.status_code} {done.text[:300]}")


def push_image(target: Target, image: Image) -> None:
    with httpx.Client(base_url=target.base_url, auth=target.auth, timeout=120.0) as client:
        for blob in (image.config, *image.layers):
            _push_blob(client, image.name, blob)
        response = client.put(
            f"/v2/{image.name}/manifests/{image.tag}",
            content=image.manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        if response.status_code != 201:
            raise RuntimeError(f"manifest push: {response.status_code} {response.text[:300]}")
        if response.headers.get("docker-content-digest") not in (None, image.manifest_digest):
            raise RuntimeError(
                f"{target.label} answered digest {response.headers['docker-content-digest']}, "
                f"expected {image.manifest_digest}"
            )


__all__ = ["OCI_MANIFEST", "Blob", "Image", "build_image", "push_image"]
