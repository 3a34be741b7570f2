"""Storage usage as values: what each repository and image holds, what the instance stores."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageUsage:
    repository: str
    name: str
    used_bytes: int  # of the distinct blobs the image holds
    blobs: int


@dataclass(frozen=True, slots=True)
class StorageUsage:
    by_repository: dict[str, int]  # repositories that hold nothing are absent
    images: list[ImageUsage]
    stored_bytes: int  # every blob once, whatever the repositories that hold it
    stored_blobs: int


__all__ = ["ImageUsage", "StorageUsage"]
