"""Identity and access as values: users, groups, permissions, API tokens, audit records,
token signing keys."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    password_hash: str | None
    admin: bool
    service: bool = False
    email: str | None = None
    created_at: float = 0.0
    directory: bool = False  # made by a login through the user directory (LDAP)


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
    detail: str | None = None  # what the change removed, e.g. "3 tags, 2 manifests, 0 files"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    principal: str | None = None
    action: str | None = None
    repository: str | None = None
    since: float | None = None
    until: float | None = None


@dataclass(frozen=True, slots=True)
class TokenKeyRecord:
    """A key registry tokens are signed with: ``kid`` names it in each token's header, the
    newest ``created`` signs. The private key (PKCS#8 PEM) is left out of the repr, so it
    never reaches a log."""

    kid: str
    created: float
    private_key: str = field(repr=False)


__all__ = [
    "AuditFilter",
    "AuditRecord",
    "GroupRecord",
    "PermissionRecord",
    "ScopeRecord",
    "TokenKeyRecord",
    "TokenRecord",
    "UserRecord",
]
