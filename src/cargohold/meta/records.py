"""Rows as values, handed up to the registry layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RepositoryRecord:
    key: str
    format: str
    kind: str
    anonymous_read: bool
    description: str = ""


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    digest: str
    media_type: str
    size: int
    artifact_type: str | None
    subject: str | None
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    password_hash: str
    admin: bool


__all__ = ["ManifestRecord", "RepositoryRecord", "UserRecord"]
