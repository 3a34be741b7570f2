"""Queries on permissions: which principal may do which actions on which repositories."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.identity.generations import advance_principal
from cargohold.meta.schema import permissions
from cargohold.records.identity import PermissionRecord


class PermissionQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, record: PermissionRecord, effects: Effects = NO_EFFECTS) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                permissions.insert().values(
                    id=record.id,
                    principal=record.principal,
                    repositories=json.dumps(list(record.repositories)),
                    actions=json.dumps(list(record.actions)),
                    created_at=record.created_at or time.time(),
                )
            )
            advance_principal(connection, record.principal)
            commit_in(connection, effects)

    def get(self, id: str) -> PermissionRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(permissions).where(permissions.c.id == id)).first()
        return None if row is None else _record(row)

    def page(self, principal: str | None, after: str | None, limit: int) -> list[PermissionRecord]:
        query = sa.select(permissions).order_by(permissions.c.id).limit(limit)
        if principal is not None:
            query = query.where(permissions.c.principal == principal)
        if after is not None:
            query = query.where(permissions.c.id > after)
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query)]

    def for_principals(self, principals: Iterable[str]) -> list[PermissionRecord]:
        query = sa.select(permissions).where(permissions.c.principal.in_(list(principals)))
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query.order_by(permissions.c.id))]

    def delete(self, id: str, effects: Effects = NO_EFFECTS) -> bool:
        with self._engine.begin() as connection:
            principal = connection.execute(
                sa.select(permissions.c.principal).where(permissions.c.id == id)
            ).scalar_one_or_none()
            if principal is None:
                return False
            connection.execute(permissions.delete().where(permissions.c.id == id))
            advance_principal(connection, principal)
            commit_in(connection, effects)
        return True


def _record(row: sa.Row[Any]) -> PermissionRecord:
    return PermissionRecord(
        id=row.id,
        principal=row.principal,
        repositories=tuple(json.loads(row.repositories)),
        actions=tuple(json.loads(row.actions)),
        created_at=row.created_at,
    )


__all__ = ["PermissionQueries"]
