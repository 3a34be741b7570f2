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
    immutable_tags: bool = False


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
    password_hash: str | None
    admin: bool
    service: bool = False
    email: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupRecord:
    name: str
    description: str
    members: tuple[str, ...]
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class PermissionRecord:
    id: str
    principal: str
    repositories: tuple[str, ...]
    actions: tuple[str, ...]
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ScopeRecord:
    repository: str
    actions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    owner: str
    kind: str
    description: str
    secret_hash: str
    scopes: tuple[ScopeRecord, ...] | None
    created_at: float
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: float
    principal: str
    token_id: str | None
    action: str
    target: str
    repository: str | None
    status: int
    result: str
    client: str
    id: int = 0


@dataclass(frozen=True, slots=True)
class PromotionRecord:
    id: str
    time: float
    principal: str
    token_id: str | None
    kind: str  # docker, generic, build
    source_repository: str
    target_repository: str
    source: str
    target: str
    digest: str | None
    tags: tuple[str, ...]
    copy: bool
    dry_run: bool
    comment: str
    properties: dict[str, list[str]]
    status: int
    result: str
    message: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    principal: str | None = None
    action: str | None = None
    repository: str | None = None
    since: float | None = None
    until: float | None = None


__all__ = [
    "AuditFilter",
    "AuditRecord",
    "GroupRecord",
    "ManifestRecord",
    "PermissionRecord",
    "PromotionRecord",
    "RepositoryRecord",
    "ScopeRecord",
    "TokenRecord",
    "UserRecord",
]
