"""Queries on retention policies: create, find by id or name, list, delete. Each change an
administrator makes commits its effects (its audit record) with it."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.schema import retention_policies
from cargohold.records.retention import RetentionPolicyRecord, RetentionRule

_RULE_FIELDS = (
    ("tags", "tags"),
    ("keepLast", "keep_last"),
    ("olderThanDays", "older_than_days"),
    ("untaggedOlderThanDays", "untagged_days"),
    ("unusedDays", "unused_days"),
)


class RetentionPolicyQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, record: RetentionPolicyRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Store a new policy, with ``effects``; False when its name (or id) is taken, also
        when another transaction takes it at the same moment."""
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(retention_policies)
            .values(**_row(record))
            .on_conflict_do_nothing()  # the id or the name
            .returning(retention_policies.c.id)
        )
        with self._engine.begin() as connection:
            if connection.execute(statement).first() is None:
                return False
            commit_in(connection, effects)
        return True

    def get(self, id_or_name: str) -> RetentionPolicyRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(retention_policies).where(_named(id_or_name))
            ).first()
        return None if row is None else _record(row)

    def all(self) -> list[RetentionPolicyRecord]:
        """Every policy, by name."""
        query = sa.select(retention_policies).order_by(retention_policies.c.name)
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query)]

    def delete(
        self, id_or_name: str, effects: Effects = NO_EFFECTS
    ) -> RetentionPolicyRecord | None:
        """Delete the policy, with ``effects``; the policy deleted, or None when there is none."""
        with self._engine.begin() as connection:
            row = connection.execute(
                sa.select(retention_policies).where(_named(id_or_name))
            ).first()
            if row is None:
                return None
            connection.execute(retention_policies.delete().where(retention_policies.c.id == row.id))
            commit_in(connection, effects)
        return _record(row)


def _named(id_or_name: str) -> sa.ColumnElement[bool]:
    c = retention_policies.c
    return sa.or_(c.id == id_or_name, c.name == id_or_name)


def rule_json(rule: RetentionRule) -> dict[str, Any]:
    """A rule as stored (and as the API writes it): only the fields it sets."""
    return {
        key: getattr(rule, attribute)
        for key, attribute in _RULE_FIELDS
        if getattr(rule, attribute) is not None
    }


def _rule(stored: dict[str, Any]) -> RetentionRule:
    return RetentionRule(**{attribute: stored.get(key) for key, attribute in _RULE_FIELDS})


def _row(record: RetentionPolicyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "repositories": json.dumps(list(record.repositories)),
        "images": record.images,
        "rules": json.dumps([rule_json(r) for r in record.rules], sort_keys=True),
        "enabled": record.enabled,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "created_by": record.created_by,
    }


def _record(row: sa.Row[Any]) -> RetentionPolicyRecord:
    return RetentionPolicyRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        repositories=tuple(json.loads(row.repositories)),
        images=row.images,
        rules=tuple(_rule(r) for r in json.loads(row.rules)),
        enabled=bool(row.enabled),
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


__all__ = ["RetentionPolicyQueries", "rule_json"]
