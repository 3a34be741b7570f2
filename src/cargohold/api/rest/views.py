"""What every view needs to turn records into wire values: times, and the identity records
(users, groups, permissions, API tokens, audit records) that several resources show."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from cargohold.core.errors import BadRequest
from cargohold.core.times import moment, parse_rfc3339
from cargohold.records.identity import (
    AuditRecord,
    GroupRecord,
    PermissionRecord,
    ScopeRecord,
    TokenRecord,
    UserRecord,
)
from cargohold.wire import identity as wire
from cargohold.wire.identity import AuditResult, TokenKind


def optional_moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else moment(seconds)


def parse_timestamp(field: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise BadRequest(f"{field} must be an RFC 3339 time like 2026-11-26T10:00:00Z") from exc


def user_wire(record: UserRecord, groups: tuple[str, ...] = ()) -> wire.User:
    return wire.User(
        name=record.name,
        admin=record.admin,
        service=record.service,
        directory=record.directory,
        email=record.email,
        created=moment(record.created_at),
        groups=groups,
    )


def group_wire(record: GroupRecord) -> wire.Group:
    return wire.Group(
        name=record.name,
        description=record.description,
        members=record.members,
        created=moment(record.created_at),
    )


def permission_wire(record: PermissionRecord) -> wire.Permission:
    return wire.Permission(
        id=record.id,
        principal=record.principal,
        repositories=record.repositories,
        actions=record.actions,
        created=moment(record.created_at),
    )


def scopes_wire(scopes: tuple[ScopeRecord, ...] | None) -> tuple[wire.Scope, ...] | None:
    if scopes is None:
        return None
    return tuple(wire.Scope(s.repository, s.actions) for s in scopes)


def token_wire(record: TokenRecord) -> wire.Token:
    return wire.Token(
        id=record.id,
        owner=record.owner,
        kind=cast(TokenKind, record.kind),
        description=record.description,
        scopes=scopes_wire(record.scopes),
        created=moment(record.created_at),
        expires=optional_moment(record.expires_at),
    )


def audit_wire(record: AuditRecord) -> wire.AuditEvent:
    return wire.AuditEvent(
        id=record.id,
        time=moment(record.time),
        principal=record.principal,
        token_id=record.token_id,
        action=record.action,
        target=record.target,
        repository=record.repository,
        status=record.status,
        result=cast(AuditResult, record.result),
        client=record.client,
        detail=record.detail,
    )


__all__ = [
    "audit_wire",
    "group_wire",
    "optional_moment",
    "parse_timestamp",
    "permission_wire",
    "scopes_wire",
    "token_wire",
    "user_wire",
]
