"""What an artifact is: an image (one manifest, by digest, in an image of a repository) or a
file (one path in a generic repository). Scans, search and where-used name these kinds."""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.core.digest import Digest

IMAGE = "image"
FILE = "file"
KINDS = (IMAGE, FILE)


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """Where the bytes of an artifact are: its digest and size, and the local file that holds
    them when the blob store has one (sent without a copy)."""

    digest: Digest
    size: int
    path: str | None


__all__ = ["FILE", "IMAGE", "KINDS", "BlobInfo"]
