"""The storage report on the wire: what each repository and image holds, what the instance
stores, and what deduplication saves."""

from __future__ import annotations

from typing import Annotated

from cargohold.wire.base import Wire, described


class ImageStorage(Wire, frozen=True):
    name: str
    used_bytes: Annotated[int, described("The bytes of the distinct blobs the image holds.")]
    blobs: int


class RepositoryStorage(Wire, frozen=True):
    key: str
    format: str
    used_bytes: Annotated[
        int, described("The bytes of the distinct blobs the repository holds (its usage).")
    ]
    quota_bytes: Annotated[int | None, described("null: no quota.")]
    images: Annotated[list[ImageStorage], described("Largest first; none in a generic one.")]


class StorageTotals(Wire, frozen=True):
    stored_bytes: Annotated[int, described("Every blob stored, once.")]
    stored_blobs: int
    logical_bytes: Annotated[int, described("The sum of the repositories' usage.")]
    deduplication_ratio: Annotated[
        float | None,
        described("logicalBytes / storedBytes: above 1 when repositories share blobs."),
    ]
    quota_bytes: Annotated[int | None, described("The instance's quota; null: none.")]


class StorageReport(Wire, frozen=True):
    repositories: Annotated[
        list[RepositoryStorage], described("The repositories the caller may read, by key.")
    ]
    instance: Annotated[
        StorageTotals | None, described("The whole instance: administrators only, else null.")
    ]


__all__ = ["ImageStorage", "RepositoryStorage", "StorageReport", "StorageTotals"]
