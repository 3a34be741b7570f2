"""What a backup, a restore and a verification read from the metadata."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class RecordedBlob:
    """A blob the metadata records (and whose bytes no collection is deleting): ``held``
    when a manifest or a file refers to it, so that it must be in the blob store."""

    digest: str
    size: int
    held: bool


@dataclass(frozen=True, slots=True)
class Contents:
    """What a database holds, counted, as a backup's manifest says it."""

    repositories: int
    images: int  # distinct (repository, name) with at least one manifest
    manifests: int
    tags: int
    files: int
    users: int
    blobs: int
    blob_bytes: int

    def to_json(self) -> dict[str, int]:
        return {
            "repositories": self.repositories,
            "images": self.images,
            "manifests": self.manifests,
            "tags": self.tags,
            "files": self.files,
            "users": self.users,
            "blobs": self.blobs,
            "blobBytes": self.blob_bytes,
        }


__all__ = ["Contents", "RecordedBlob"]
