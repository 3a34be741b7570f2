"""What garbage collection works with and reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Collectable:
    """A stored blob the collector may delete (or is deleting)."""

    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class ManifestKey:
    repository: str
    name: str
    digest: str


@dataclass(frozen=True, slots=True)
class BlobHolder:
    """Something that keeps a blob alive, or links it: ``kind`` is ``manifest`` (the blob is
    the manifest's body), ``layer`` (a layer, config or child manifest of the manifest
    ``digest``), ``file`` (a generic file at ``path``) or ``link`` (the image may read it;
    a link alone keeps nothing alive)."""

    kind: str
    repository: str
    name: str
    digest: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BlobRecord:
    """What the metadata knows of a blob."""

    digest: str
    size: int
    created_at: float
    touched_at: float
    deleting_since: float | None


@dataclass(frozen=True, slots=True)
class GcReport:
    """What one collection did (or, in a dry run, would do)."""

    dry_run: bool
    started_at: float
    duration: float
    grace: float
    blobs: int  # blobs deleted, bytes no row recorded included
    bytes: int
    manifests: int  # referrers removed because their subject is gone
    unrecorded: int  # of ``blobs``: stored bytes no row recorded
    left: int  # marked blobs left for a later run (deleting them took too long)


@dataclass(frozen=True, slots=True)
class BlobReferences:
    """Why a blob is still here, or when it goes."""

    digest: str
    size: int | None
    stored: bool  # its bytes are in storage
    holders: tuple[BlobHolder, ...]
    touched_at: float | None  # when something last linked, referenced or released it
    collectable_at: float | None  # when the collector may delete it, if nothing holds it
    deleting: bool

    @property
    def live(self) -> bool:
        return any(holder.kind != "link" for holder in self.holders)


__all__ = [
    "BlobHolder",
    "BlobRecord",
    "BlobReferences",
    "Collectable",
    "GcReport",
    "ManifestKey",
]
