"""OCI content as values: a stored manifest, a manifest to store."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    digest: str
    media_type: str
    size: int
    artifact_type: str | None
    subject: str | None
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class NewManifest:
    repository: str
    name: str
    record: ManifestRecord
    children: tuple[str, ...]
    tag: str | None
    immutable_tags: bool = False


__all__ = ["ManifestRecord", "NewManifest"]
