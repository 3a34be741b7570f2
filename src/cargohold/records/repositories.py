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


@dataclass(frozen=True, slots=True)
class Holdings:
    """What a repository holds: tags, manifests (tagged or not) and generic files."""

    tags: int = 0
    manifests: int = 0
    files: int = 0

    def __bool__(self) -> bool:
        return bool(self.tags or self.manifests or self.files)

    def __str__(self) -> str:
        return ", ".join(
            f"{count} {noun if count == 1 else noun + 's'}"
            for count, noun in (
                (self.tags, "tag"),
                (self.manifests, "manifest"),
                (self.files, "file"),
            )
        )


__all__ = ["Holdings", "RepositoryRecord"]
