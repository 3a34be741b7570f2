"""Users, groups, permissions, API tokens and the audit log on the wire."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar, Literal

import msgspec

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described


class Action(enum.StrEnum):
    """What a permission or a token scope allows on a repository."""

    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    PROMOTE = "promote"
    ANNOTATE = "annotate"
    MANAGE = "manage"


TOKEN_KINDS = ("api", "cli", "refresh")
RESULTS = ("ok", "unauthorized", "denied", "not-found", "throttled", "failed")

TokenKind = Literal["api", "cli", "refresh"]
AuditResult = Literal["ok", "unauthorized", "denied", "not-found", "throttled", "failed"]
# Action names, as plain strings (a client may send one this server does not know, to be told
# so); the schema lists the known ones (the Action component).
ActionName = Annotated[str, Meta(extra_json_schema={"$ref": "#/components/schemas/Action"})]
Actions = Annotated[tuple[ActionName, ...], Meta(min_length=1)]
AccountName = Annotated[str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")]
Password = Annotated[
    str, Meta(min_length=8, max_length=1024, extra_json_schema={"writeOnly": True})
]
Names = tuple[str, ...]


class Scope(Wire, frozen=True):
    """What a token may do: `actions` on the repositories matching `repository`."""

    repository: str
    actions: Actions

    def __str__(self) -> str:
        return f"{self.repository}:{','.join(self.actions)}"


Scopes = Annotated[tuple[Scope, ...] | None, described("null: all of the owner's rights.")]


class User(Wire, frozen=True):
    name: str
    admin: bool
    service: bool
    directory: Annotated[
        bool,
        described(
            "Made by a login through the user directory (LDAP): no password here, and the "
            "groups the directory decides follow it at each login."
        ),
    ]
    email: str | None
    created: Timestamp
    groups: Annotated[Names, described("The names of the user's groups.")]


class CallerToken(Wire, frozen=True):
    """The API token a request was made with."""

    id: str
    scopes: Scopes


class Me(User, frozen=True):
    """The caller; `token` is the API token of this request, if any."""

    token: CallerToken | None


class Group(Wire, frozen=True):
    name: str
    description: str
    members: Names
    created: Timestamp


class Permission(Wire, frozen=True):
    id: str
    principal: str
    repositories: Names
    actions: Actions
    created: Timestamp


class Token(Wire, frozen=True):
    """An API token as listed: everything but the secret."""

    id: str
    owner: str
    kind: Annotated[TokenKind, described("`refresh`: made by `docker login`.")]
    description: str
    scopes: Scopes
    created: Timestamp
    expires: Annotated[Timestamp | None, described("null: never expires.")]


class NewToken(Token, frozen=True):
    """A new token, with its secret (`token`): shown this once."""

    token: Annotated[str, Meta(pattern="^chk_[0-9a-f]{16}_.+$")]

    @property
    def secret(self) -> str:
        return self.token


class AuditEvent(Wire, frozen=True):
    id: int
    time: Timestamp
    principal: str
    token_id: str | None
    action: Annotated[str, Meta(examples=["manifest.push", "login.failed"])]
    target: str
    repository: str | None
    status: int
    result: AuditResult
    client: str
    detail: str | None = None  # what the change removed, e.g. "3 tags, 2 manifests, 0 files"


class UserCreate(Body, frozen=True):
    """`password` is required unless `service` is true."""

    schema_extra: ClassVar = {
        "if": {"properties": {"service": {"const": True}}, "required": ["service"]},
        "then": {"not": {"required": ["password"]}},
        "else": {"required": ["password"]},
    }

    name: AccountName
    password: Password | UnsetType = UNSET
    admin: bool = False
    service: Annotated[
        bool, described("A service account has no password; it signs in only with API tokens.")
    ] = False
    email: str | UnsetType = UNSET


class UserUpdate(Body, frozen=True):
    password: Password | UnsetType = UNSET
    admin: bool | UnsetType = UNSET
    email: str | UnsetType = UNSET


class GroupCreate(Body, frozen=True):
    name: AccountName
    description: str = ""
    members: Names | UnsetType = UNSET


class GroupUpdate(Body, frozen=True):
    description: str | UnsetType = UNSET
    members: Annotated[Names, described("Replaces all members.")] | UnsetType = UNSET
    add: Annotated[Names, described("Members to add.")] | UnsetType = UNSET
    remove: Annotated[Names, described("Members to remove.")] | UnsetType = UNSET


class PermissionCreate(Body, frozen=True):
    principal: Annotated[
        str, Meta(pattern="^(user|group):.+$", examples=["user:reader", "group:devs"])
    ]
    repositories: Annotated[
        Names,
        Meta(min_length=1, description="Repository keys; `*` is a wildcard, as in `team-*`."),
    ]
    actions: Actions


class TokenCreate(Body, frozen=True):
    description: str
    scopes: (
        Annotated[
            tuple[Scope, ...],
            described("Omitted: all of the owner's rights; beyond them: 403."),
        ]
        | UnsetType
    ) = UNSET
    expires_in: (
        Annotated[int, Meta(ge=1, le=366 * 24 * 3600, description="Seconds; omitted: never.")]
        | UnsetType
    ) = msgspec.field(default=UNSET, name="expires_in")
    owner: Annotated[str, described("Someone other than the caller: admin only.")] | UnsetType = (
        UNSET
    )
    kind: Literal["api", "cli"] = "api"


__all__ = [
    "RESULTS",
    "TOKEN_KINDS",
    "Action",
    "AuditEvent",
    "AuditResult",
    "CallerToken",
    "Group",
    "GroupCreate",
    "GroupUpdate",
    "Me",
    "NewToken",
    "Permission",
    "PermissionCreate",
    "Scope",
    "Token",
    "TokenCreate",
    "TokenKind",
    "User",
    "UserCreate",
    "UserUpdate",
]
