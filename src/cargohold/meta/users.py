"""Queries on users."""

from __future__ import annotations

import time

import sqlalchemy as sa

from cargohold.meta.records import UserRecord
from cargohold.meta.schema import users
from cargohold.meta.upsert import upsert


class UserQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, name: str) -> UserRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            return None
        return UserRecord(name=row.name, password_hash=row.password_hash, admin=bool(row.admin))

    def put(self, record: UserRecord) -> None:
        with self._engine.begin() as connection:
            upsert(
                connection,
                users,
                {
                    "name": record.name,
                    "password_hash": record.password_hash,
                    "admin": record.admin,
                    "created_at": time.time(),
                },
                update=("password_hash", "admin"),
            )

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()
            )


__all__ = ["UserQueries"]
