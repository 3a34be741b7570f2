"""Repositories as values: key, format, kind and settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RepositoryRecord:
    key: str
    format: str
    kind: str
    anonymous_read: bool
    description: str = ""
    immutable_tags: bool = False
    quota_bytes: int | None = None  # the bytes of unique blobs it may hold; None: no quota


__all__ = ["RepositoryRecord"]
