"""Garbage collection on the wire: a collection's request and report, and why a blob is
still here."""

from __future__ import annotations

from typing import Annotated, Literal

from cargohold.wire.base import Timestamp, Wire, described

HolderKind = Literal["manifest", "layer", "file", "link"]


class GcRequest(Wire, frozen=True):
    dry_run: Annotated[bool, described("Count what would be deleted; delete nothing.")] = False


class GcReport(Wire, frozen=True):
    dry_run: bool
    started: Timestamp
    duration_seconds: float
    grace_seconds: Annotated[
        float, described("Blobs something held or touched more recently stayed.")
    ]
    blobs_deleted: Annotated[int, described("Blobs deleted (would be, in a dry run).")]
    bytes_freed: int
    manifests_removed: Annotated[
        int, described("Untagged referrers (signatures, SBOMs) whose subject is gone.")
    ]
    unrecorded_blobs: Annotated[
        int, described("Of blobsDeleted: stored bytes no metadata recorded (a crash between).")
    ]
    blobs_left: Annotated[int, described("Marked blobs left to the next collection.")]


class BlobHolder(Wire, frozen=True):
    kind: Annotated[
        HolderKind,
        described(
            "manifest: the blob is this manifest's body; layer: a layer, config or child "
            "manifest of the manifest `digest`; file: a generic file at `name`; link: the "
            "image may read it (a link alone keeps nothing)."
        ),
    ]
    repository: str
    name: Annotated[str, described("The image, or the file's path.")]
    digest: str | None = None
    tags: tuple[str, ...] = ()


class BlobReferences(Wire, frozen=True):
    digest: str
    size: int | None
    stored: Annotated[bool, described("Its bytes are in storage.")]
    live: Annotated[bool, described("Something keeps it: garbage collection leaves it.")]
    deleting: Annotated[bool, described("Garbage collection is deleting it now.")]
    holders: tuple[BlobHolder, ...]
    touched: Annotated[
        Timestamp | None,
        described("When something last linked, referenced or released it."),
    ]
    collectable: Annotated[
        Timestamp | None,
        described("When garbage collection may delete it (not live): touched + grace."),
    ]


__all__ = ["BlobHolder", "BlobReferences", "GcReport", "GcRequest", "HolderKind"]
