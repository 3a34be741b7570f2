"""Queries on users and groups (and the permissions that name them). A change to what an
account may do moves its generation (``generations.py``) in the same transaction."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.identity.generations import advance, advance_members, first, generation
from cargohold.meta.schema import group_members, groups, permissions, users
from cargohold.meta.upsert import insert_ignore, insert_new, upsert
from cargohold.records.identity import GroupRecord, UserRecord


class UserQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, name: str) -> UserRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(users).where(users.c.name == name)).first()
        return None if row is None else _user(row)

    def page(self, after: str | None, limit: int) -> list[UserRecord]:
        query = sa.select(users).order_by(users.c.name).limit(limit)
        if after is not None:
            query = query.where(users.c.name > after)
        with reading(self._engine) as connection:
            return [_user(row) for row in connection.execute(query)]

    def create(self, record: UserRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Insert, with ``effects``; False when the name is taken."""
        with self._engine.begin() as connection:
            if not insert_new(connection, users, user_row(record)):
                return False
            commit_in(connection, effects)
        return True

    def put(self, record: UserRecord) -> None:
        with self._engine.begin() as connection:
            upsert(
                connection,
                users,
                user_row(record),
                update=("password_hash", "admin", "service", "email"),
            )
            advance(connection, [record.name])

    def update(self, name: str, changes: Mapping[str, Any], effects: Effects = NO_EFFECTS) -> bool:
        """Change the user, with ``effects``; False when there is none."""
        with self._engine.begin() as connection:
            result = connection.execute(
                users.update()
                .where(users.c.name == name)
                .values(**changes, generation=users.c.generation + 1)
            )
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    def delete(self, name: str, effects: Effects = NO_EFFECTS) -> bool:
        """Delete the user and its permissions, with ``effects``; False when there is none."""
        with self._engine.begin() as connection:
            connection.execute(
                permissions.delete().where(permissions.c.principal == f"user:{name}")
            )
            result = connection.execute(users.delete().where(users.c.name == name))
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    def generation(self, name: str) -> int | None:
        """The account's generation (None: no such account)."""
        return generation(self._engine, name)

    def count(self, *, admin: bool | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(users)
        if admin is not None:
            query = query.where(users.c.admin == admin)
        with reading(self._engine) as connection:
            return int(connection.execute(query).scalar_one())

    def groups_of(self, name: str) -> tuple[str, ...]:
        return self.memberships([name])[name]

    def memberships(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The groups of each user, by user name."""
        found: dict[str, list[str]] = {name: [] for name in names}
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(group_members)
                .where(group_members.c.user.in_(list(found)))
                .order_by(group_members.c.group)
            )
            for row in rows:
                found[row.user].append(row.group)
        return {name: tuple(groups) for name, groups in found.items()}


class GroupQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, record: GroupRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Insert with its members and ``effects``; False when the name is taken."""
        row = {"name": record.name, "description": record.description, "created_at": time.time()}
        with self._engine.begin() as connection:
            if not insert_new(connection, groups, row):
                return False
            _add_members(connection, record.name, record.members)
            advance(connection, record.members)
            commit_in(connection, effects)
        return True

    def get(self, name: str) -> GroupRecord | None:
        found = self._load(sa.select(groups).where(groups.c.name == name))
        return found[0] if found else None

    def page(self, after: str | None, limit: int) -> list[GroupRecord]:
        query = sa.select(groups).order_by(groups.c.name).limit(limit)
        if after is not None:
            query = query.where(groups.c.name > after)
        return self._load(query)

    def _load(self, query: sa.Select[Any]) -> list[GroupRecord]:
        with reading(self._engine) as connection:
            rows = list(connection.execute(query))
            members: dict[str, list[str]] = {row.name: [] for row in rows}
            for member in connection.execute(
                sa.select(group_members)
                .where(group_members.c.group.in_(list(members)))
                .order_by(group_members.c.user)
            ):
                members[member.group].append(member.user)
        return [
            GroupRecord(row.name, row.description, tuple(members[row.name]), row.created_at)
            for row in rows
        ]

    def update(
        self,
        name: str,
        *,
        description: str | None,
        add: Iterable[str],
        remove: Iterable[str],
        replace: Iterable[str] | None,
        effects: Effects = NO_EFFECTS,
    ) -> bool:
        """Change the group, with ``effects``; False when there is none."""
        with self._engine.begin() as connection:
            if not connection.execute(
                sa.select(groups.c.name).where(groups.c.name == name)
            ).first():
                return False
            if description is not None:
                connection.execute(
                    groups.update().where(groups.c.name == name).values(description=description)
                )
            advance_members(connection, name)  # those who leave
            if replace is not None:
                connection.execute(group_members.delete().where(group_members.c.group == name))
                _add_members(connection, name, replace)
            _add_members(connection, name, add)
            removed = list(remove)
            if removed:
                connection.execute(
                    group_members.delete().where(
                        group_members.c.group == name, group_members.c.user.in_(removed)
                    )
                )
            advance_members(connection, name)  # those who join
            commit_in(connection, effects)
        return True

    def delete(self, name: str, effects: Effects = NO_EFFECTS) -> bool:
        """Delete the group and its permissions, with ``effects``; False when there is none."""
        with self._engine.begin() as connection:
            advance_members(connection, name)
            connection.execute(
                permissions.delete().where(permissions.c.principal == f"group:{name}")
            )
            result = connection.execute(groups.delete().where(groups.c.name == name))
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0


def _add_members(connection: sa.Connection, group: str, members: Iterable[str]) -> None:
    insert_ignore(connection, group_members, ({"group": group, "user": m} for m in members))


def user_row(record: UserRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "password_hash": record.password_hash,
        "admin": record.admin,
        "service": record.service,
        "email": record.email,
        "created_at": record.created_at or time.time(),
        "generation": first(),
        "directory": record.directory,
    }


def _user(row: sa.Row[Any]) -> UserRecord:
    return UserRecord(
        name=row.name,
        password_hash=row.password_hash,
        admin=bool(row.admin),
        service=bool(row.service),
        email=row.email,
        created_at=row.created_at,
        directory=bool(row.directory),
    )


__all__ = ["GroupQueries", "UserQueries", "user_row"]
