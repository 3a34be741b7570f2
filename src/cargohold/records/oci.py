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
    # What must be stored for the manifest to be recorded: its blobs and child manifests
    # (not foreign layers, which are never uploaded), and its own body when the writer
    # claimed it before storing it (registry/gc/claims.py).
    requires: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Untagged:
    """What deleting a tag left: the manifest it pointed to and the tags that still do."""

    digest: str
    remaining: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImageDeletion:
    """What deleting a tag or a manifest of ``name`` (``repository/image``) did: the tags it
    removed, whether the manifest ``digest`` went too, and the tags that still point to it."""

    name: str
    digest: str
    tags: tuple[str, ...]
    manifest_removed: bool
    remaining: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ManifestPull:
    """A manifest of ``repository/name`` pulled at ``at`` (what retention's ``unusedDays``
    reads, recorded at most once an hour)."""

    repository: str
    name: str
    digest: str
    at: float


__all__ = ["ImageDeletion", "ManifestPull", "ManifestRecord", "NewManifest", "Untagged"]
