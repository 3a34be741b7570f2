"""The REST API's objects as typed values: the wire types the server answers with
(``cargohold.wire``), decoded from its JSON by ``RestSession``; ``to_json()`` gives back the
contract's shape (for ``--json`` output). Also the RFC 3339 times the API reads and writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cargohold.wire.identity import (
    AuditEvent,
    CallerToken,
    Group,
    Me,
    NewToken,
    Permission,
    Scope,
    Token,
    User,
)
from cargohold.wire.repositories import Repository, RepositoryDeletion


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


__all__ = [
    "AuditEvent",
    "CallerToken",
    "Group",
    "Me",
    "NewToken",
    "Permission",
    "Repository",
    "RepositoryDeletion",
    "Scope",
    "Token",
    "User",
    "format_time",
    "parse_time",
]
