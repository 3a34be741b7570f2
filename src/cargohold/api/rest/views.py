"""How records look as JSON on the REST API."""

from __future__ import annotations

from typing import Any

from cargohold.core.errors import BadRequest
from cargohold.core.times import parse_rfc3339, rfc3339
from cargohold.records.identity import (
    AuditRecord,
    GroupRecord,
    PermissionRecord,
    ScopeRecord,
    TokenRecord,
    UserRecord,
)
from cargohold.records.repositories import RepositoryRecord


def timestamp(value: float | None) -> str | None:
    if value is None:
        return None
    return rfc3339(value, "seconds")


def parse_timestamp(field: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise BadRequest(f"{field} must be an RFC 3339 time like 2026-11-26T10:00:00Z") from exc


def repository_json(record: RepositoryRecord) -> dict[str, Any]:
    return {
        "key": record.key,
        "format": record.format,
        "kind": record.kind,
        "anonymousRead": record.anonymous_read,
        "immutableTags": record.immutable_tags,
        "description": record.description,
    }


def user_json(record: UserRecord, groups: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "name": record.name,
        "admin": record.admin,
        "service": record.service,
        "email": record.email,
        "created": timestamp(record.created_at),
        "groups": list(groups),
    }


def group_json(record: GroupRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "members": list(record.members),
        "created": timestamp(record.created_at),
    }


def permission_json(record: PermissionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "principal": record.principal,
        "repositories": list(record.repositories),
        "actions": list(record.actions),
        "created": timestamp(record.created_at),
    }


def scopes_json(scopes: tuple[ScopeRecord, ...] | None) -> list[dict[str, Any]] | None:
    if scopes is None:
        return None
    return [{"repository": s.repository, "actions": list(s.actions)} for s in scopes]


def token_json(record: TokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner": record.owner,
        "kind": record.kind,
        "description": record.description,
        "scopes": scopes_json(record.scopes),
        "created": timestamp(record.created_at),
        "expires": timestamp(record.expires_at),
    }


def audit_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "time": timestamp(record.time),
        "principal": record.principal,
        "tokenId": record.token_id,
        "action": record.action,
        "target": record.target,
        "repository": record.repository,
        "status": record.status,
        "result": record.result,
        "client": record.client,
    }


__all__ = [
    "audit_json",
    "group_json",
    "parse_timestamp",
    "permission_json",
    "repository_json",
    "scopes_json",
    "timestamp",
    "token_json",
    "user_json",
]
