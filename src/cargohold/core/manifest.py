"""Parsing and validation of image manifests and indexes (Docker schema 2 and OCI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cargohold.core import mediatypes as mt
from cargohold.core.digest import Digest
from cargohold.core.errors import DigestInvalid, ManifestInvalid, ManifestTooLarge
from cargohold.core.jsondoc import MANIFEST_LIMITS, JsonRejected, read_json

MAX_MANIFEST_BYTES = MANIFEST_LIMITS.max_bytes
MAX_SIZE = 2**63 - 1  # what a descriptor's size may be: a signed 64-bit integer


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    platform: dict[str, Any] | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Manifest:
    """What cargohold needs to know of a manifest; the bytes themselves are kept verbatim."""

    media_type: str
    config: Descriptor | None
    layers: tuple[Descriptor, ...]
    manifests: tuple[Descriptor, ...]
    subject: Descriptor | None
    artifact_type: str | None
    annotations: dict[str, str]

    @property
    def is_index(self) -> bool:
        return self.media_type in mt.INDEXES

    @property
    def effective_artifact_type(self) -> str | None:
        """The artifactType the referrers API reports (image-spec: fall back to config)."""
        if self.artifact_type:
            return self.artifact_type
        if self.config is not None:
            return self.config.media_type
        return None


def parse_manifest(body: bytes, content_type: str | None) -> Manifest:
    try:
        doc = read_json(body, MANIFEST_LIMITS)
    except JsonRejected as exc:
        if exc.too_large:
            raise ManifestTooLarge(f"manifest {exc.message}") from None
        raise ManifestInvalid(f"manifest {exc.message}") from None
    if not isinstance(doc, dict):
        raise ManifestInvalid("manifest must be a JSON object")
    if doc.get("schemaVersion") != 2:
        if doc.get("schemaVersion") == 1:
            raise ManifestInvalid("Docker schema 1 manifests are not supported; push schema 2")
        raise ManifestInvalid("manifest must have schemaVersion 2")
    declared = doc.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise ManifestInvalid("manifest mediaType must be a string")
    content_type = _bare(content_type)
    if content_type in {mt.DOCKER_SCHEMA1, mt.DOCKER_SCHEMA1_SIGNED}:
        raise ManifestInvalid("Docker schema 1 manifests are not supported; push schema 2")
    media_type = _media_type(doc, declared, content_type)
    if media_type in mt.INDEXES:
        if "manifests" not in doc:
            raise ManifestInvalid("an index must have a 'manifests' list")
        manifests = tuple(_descriptor(d, "manifests[]") for d in _list(doc, "manifests"))
        config = None
        layers: tuple[Descriptor, ...] = ()
    else:
        if "config" not in doc:
            raise ManifestInvalid("an image manifest must have a 'config' descriptor")
        config = _descriptor(doc["config"], "config")
        layers = tuple(_descriptor(d, "layers[]") for d in _list(doc, "layers"))
        manifests = ()
    subject = _descriptor(doc["subject"], "subject") if "subject" in doc else None
    artifact_type = doc.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise ManifestInvalid("artifactType must be a string")
    return Manifest(
        media_type=media_type,
        config=config,
        layers=layers,
        manifests=manifests,
        subject=subject,
        artifact_type=artifact_type,
        annotations=_annotations(doc),
    )


def _bare(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _media_type(doc: dict[str, Any], declared: str | None, content_type: str | None) -> str:
    if declared and content_type and declared != content_type:
        raise ManifestInvalid(
            f"Content-Type {content_type!r} does not match the manifest's mediaType {declared!r}"
        )
    media_type = declared or content_type
    if media_type is None:
        media_type = mt.OCI_INDEX if "manifests" in doc else mt.OCI_MANIFEST
    if media_type not in mt.MANIFESTS:
        raise ManifestInvalid(
            f"unsupported manifest media type {media_type!r}; supported: "
            + ", ".join(sorted(mt.MANIFESTS))
        )
    return media_type


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ManifestInvalid(f"manifest field {key!r} must be a list")
    return value


def _annotations(doc: dict[str, Any]) -> dict[str, str]:
    value = doc.get("annotations") or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ManifestInvalid("annotations must be a map of strings to strings")
    return value


def _descriptor(value: Any, where: str) -> Descriptor:
    if not isinstance(value, dict):
        raise ManifestInvalid(f"{where} must be a descriptor object")
    media_type = value.get("mediaType")
    digest = value.get("digest")
    size = value.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise ManifestInvalid(f"{where} descriptor has no mediaType")
    if not isinstance(digest, str):
        raise ManifestInvalid(f"{where} descriptor has no digest")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_SIZE:
        raise ManifestInvalid(f"{where} descriptor size must be an integer from 0 to {MAX_SIZE}")
    try:
        parsed = Digest.parse(digest)
    except DigestInvalid as exc:
        raise ManifestInvalid(f"{where} descriptor: {exc.message}") from exc
    artifact_type = value.get("artifactType")
    platform = value.get("platform")
    return Descriptor(
        media_type=media_type,
        digest=parsed,
        size=size,
        artifact_type=artifact_type if isinstance(artifact_type, str) else None,
        annotations=_annotations(value),
        platform=platform if isinstance(platform, dict) else None,
    )


__all__ = ["MAX_MANIFEST_BYTES", "Descriptor", "Manifest", "parse_manifest"]
