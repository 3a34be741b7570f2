"""The REST API's objects as typed values, each read from and written back to its JSON form.

``from_json`` accepts exactly the documents of the API contract; anything else raises
``KeyError``, ``TypeError`` or ``ValueError``, which the session reports as an
``UnexpectedResponse``. ``to_json`` gives back the contract's shape (for ``--json`` output).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime:
    """An RFC 3339 timestamp (``2026-11-26T10:00:00Z``) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise TypeError(f"expected an RFC 3339 string, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """The RFC 3339 form the API uses: UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(doc: dict[str, Any], key: str) -> str:
    value = doc[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string, got {value!r}")
    return value


def _optional_text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return None if value is None else _text(doc, key)


def _flag(doc: dict[str, Any], key: str) -> bool:
    value = doc[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key!r} must be true or false, got {value!r}")
    return value


def _names(doc: dict[str, Any], key: str) -> tuple[str, ...]:
    values = doc[key]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{key!r} must be a list of strings, got {values!r}")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class Repository:
    key: str
    format: str
    kind: str
    anonymous_read: bool
    description: str
    immutable_tags: bool = False

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Repository:
        return cls(
            key=_text(doc, "key"),
            format=_text(doc, "format"),
            kind=_text(doc, "kind"),
            anonymous_read=_flag(doc, "anonymousRead"),
            description=_optional_text(doc, "description") or "",
            immutable_tags=bool(doc.get("immutableTags", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "format": self.format,
            "kind": self.kind,
            "anonymousRead": self.anonymous_read,
            "immutableTags": self.immutable_tags,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class User:
    name: str
    admin: bool
    service: bool
    email: str | None
    created: datetime
    groups: tuple[str, ...]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> User:
        return cls(
            name=_text(doc, "name"),
            admin=_flag(doc, "admin"),
            service=_flag(doc, "service"),
            email=_optional_text(doc, "email"),
            created=parse_time(doc["created"]),
            groups=_names(doc, "groups"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "admin": self.admin,
            "service": self.service,
            "email": self.email,
            "created": format_time(self.created),
            "groups": list(self.groups),
        }


@dataclass(frozen=True, slots=True)
class Scope:
    """What a token may do: ``actions`` on the repositories matching ``repository``."""

    repository: str
    actions: tuple[str, ...]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Scope:
        return cls(repository=_text(doc, "repository"), actions=_names(doc, "actions"))

    def to_json(self) -> dict[str, Any]:
        return {"repository": self.repository, "actions": list(self.actions)}

    def __str__(self) -> str:
        return f"{self.repository}:{','.join(self.actions)}"


def _scopes(doc: dict[str, Any]) -> tuple[Scope, ...] | None:
    scopes = doc.get("scopes")
    if scopes is None:
        return None
    if not isinstance(scopes, list):
        raise TypeError(f"'scopes' must be a list or null, got {scopes!r}")
    return tuple(Scope.from_json(s) for s in scopes)


def _scopes_json(scopes: tuple[Scope, ...] | None) -> list[dict[str, Any]] | None:
    return None if scopes is None else [s.to_json() for s in scopes]


@dataclass(frozen=True, slots=True)
class CallerToken:
    """The API token a request was made with, as ``GET /me`` reports it."""

    id: str
    scopes: tuple[Scope, ...] | None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CallerToken:
        return cls(id=_text(doc, "id"), scopes=_scopes(doc))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "scopes": _scopes_json(self.scopes)}


@dataclass(frozen=True, slots=True)
class Me:
    """The caller: its user and the API token it signed in with, if any."""

    user: User
    token: CallerToken | None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Me:
        token = doc.get("token")
        return cls(
            user=User.from_json(doc),
            token=None if token is None else CallerToken.from_json(token),
        )

    def to_json(self) -> dict[str, Any]:
        token = None if self.token is None else self.token.to_json()
        return {**self.user.to_json(), "token": token}


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    description: str
    members: tuple[str, ...]
    created: datetime

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Group:
        return cls(
            name=_text(doc, "name"),
            description=_optional_text(doc, "description") or "",
            members=_names(doc, "members"),
            created=parse_time(doc["created"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "members": list(self.members),
            "created": format_time(self.created),
        }


@dataclass(frozen=True, slots=True)
class Permission:
    id: str
    principal: str
    repositories: tuple[str, ...]
    actions: tuple[str, ...]
    created: datetime

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Permission:
        return cls(
            id=_text(doc, "id"),
            principal=_text(doc, "principal"),
            repositories=_names(doc, "repositories"),
            actions=_names(doc, "actions"),
            created=parse_time(doc["created"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "principal": self.principal,
            "repositories": list(self.repositories),
            "actions": list(self.actions),
            "created": format_time(self.created),
        }


@dataclass(frozen=True, slots=True)
class Token:
    """An API token as listed: everything but the secret."""

    id: str
    owner: str
    kind: str
    description: str
    scopes: tuple[Scope, ...] | None
    created: datetime
    expires: datetime | None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Token:
        expires = doc.get("expires")
        return cls(
            id=_text(doc, "id"),
            owner=_text(doc, "owner"),
            kind=_text(doc, "kind"),
            description=_optional_text(doc, "description") or "",
            scopes=_scopes(doc),
            created=parse_time(doc["created"]),
            expires=None if expires is None else parse_time(expires),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "kind": self.kind,
            "description": self.description,
            "scopes": _scopes_json(self.scopes),
            "created": format_time(self.created),
            "expires": None if self.expires is None else format_time(self.expires),
        }


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created, with its secret: the only time the server shows it."""

    token: Token
    secret: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> NewToken:
        return cls(token=Token.from_json(doc), secret=_text(doc, "token"))

    def to_json(self) -> dict[str, Any]:
        return {**self.token.to_json(), "token": self.secret}


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    time: datetime
    principal: str
    token_id: str | None
    action: str
    target: str
    repository: str | None
    status: int
    result: str
    client: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> AuditEvent:
        event_id, status = doc["id"], doc["status"]
        if not isinstance(event_id, int) or not isinstance(status, int):
            raise TypeError(f"'id' and 'status' must be integers: {event_id!r}, {status!r}")
        return cls(
            id=event_id,
            time=parse_time(doc["time"]),
            principal=_text(doc, "principal"),
            token_id=_optional_text(doc, "tokenId"),
            action=_text(doc, "action"),
            target=_text(doc, "target"),
            repository=_optional_text(doc, "repository"),
            status=status,
            result=_text(doc, "result"),
            client=_text(doc, "client"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": format_time(self.time),
            "principal": self.principal,
            "tokenId": self.token_id,
            "action": self.action,
            "target": self.target,
            "repository": self.repository,
            "status": self.status,
            "result": self.result,
            "client": self.client,
        }


__all__ = [
    "AuditEvent",
    "CallerToken",
    "Group",
    "Me",
    "NewToken",
    "Permission",
    "Repository",
    "Scope",
    "Token",
    "User",
    "format_time",
    "parse_time",
]
