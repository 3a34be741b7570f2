"""Queries on repositories. A write commits the ``effects`` it is given (its audit record)
in its own transaction, and only when it changed something."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import release_held
from cargohold.meta.schema import generic_files, manifests, repositories, tags
from cargohold.meta.upsert import insert_new, serialize_writes
from cargohold.records.packages import PackageSettings
from cargohold.records.repositories import Holdings, Remote, RepositoryRecord, Virtual


class RepositoryQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, record: RepositoryRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Insert, with ``effects``; False when the key is taken."""
        row = {
            "key": record.key,
            "format": record.format,
            "kind": record.kind,
            "anonymous_read": record.anonymous_read,
            "description": record.description,
            "immutable_tags": record.immutable_tags,
            "quota_bytes": record.quota_bytes,
            "remote": remote_json(record.remote),
            "virtual": virtual_json(record.virtual),
            "packages": packages_json(record.packages),
            "created_at": time.time(),
        }
        with self._engine.begin() as connection:
            if not insert_new(connection, repositories, row):
                return False
            commit_in(connection, effects)
        return True

    def get(self, key: str) -> RepositoryRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(repositories).where(repositories.c.key == key)
            ).first()
        return None if row is None else _record(row)

    def list(self) -> list[RepositoryRecord]:
        with reading(self._engine) as connection:
            rows = connection.execute(sa.select(repositories).order_by(repositories.c.key))
            return [_record(row) for row in rows]

    def update(self, key: str, changes: Mapping[str, Any], effects: Effects = NO_EFFECTS) -> bool:
        """Change the settings, with ``effects``; False when there is no such repository."""
        with self._engine.begin() as connection:
            result = connection.execute(
                repositories.update().where(repositories.c.key == key).values(**changes)
            )
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    def delete(self, key: str, effects: Effects = NO_EFFECTS) -> bool:
        """Delete the repository and what it holds, with ``effects``; False when there is
        none."""
        return self.remove(key, effects_of=lambda _: effects) is not None

    def remove(
        self,
        key: str,
        check: Callable[[Holdings], None] = lambda held: None,
        effects_of: Callable[[Holdings], Effects] = lambda held: NO_EFFECTS,
    ) -> Holdings | None:
        """Delete the repository and what it holds, after ``check`` (which raises to refuse)
        has seen what that is, and commit the effects of it; None when there is none."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [key])
            if (
                connection.execute(
                    sa.select(repositories.c.key).where(repositories.c.key == key)
                ).first()
                is None
            ):
                return None
            held = holdings(connection, key)
            check(held)
            release_held(connection, key, time.time())
            connection.execute(repositories.delete().where(repositories.c.key == key))
            commit_in(connection, effects_of(held))
        return held

    def holdings(self, key: str) -> Holdings:
        with reading(self._engine) as connection:
            return holdings(connection, key)


def holdings(connection: sa.Connection, key: str) -> Holdings:
    """What repository ``key`` holds, counted."""

    def count(table: sa.Table) -> int:
        query = sa.select(sa.func.count()).select_from(table).where(table.c.repository == key)
        return int(connection.execute(query).scalar_one())

    return Holdings(tags=count(tags), manifests=count(manifests), files=count(generic_files))


def _record(row: sa.Row[tuple[object, ...]]) -> RepositoryRecord:
    return RepositoryRecord(
        key=row.key,
        format=row.format,
        kind=row.kind,
        anonymous_read=bool(row.anonymous_read),
        description=row.description,
        immutable_tags=bool(row.immutable_tags),
        quota_bytes=row.quota_bytes,
        remote=None if row.remote is None else Remote(**json.loads(row.remote)),
        virtual=None if row.virtual is None else _virtual(json.loads(row.virtual)),
        packages=None if row.packages is None else _packages(json.loads(row.packages)),
    )


def remote_json(remote: Remote | None) -> str | None:
    """How the ``remote`` column keeps a remote repository's settings."""
    return None if remote is None else json.dumps(dataclasses.asdict(remote), sort_keys=True)


def virtual_json(virtual: Virtual | None) -> str | None:
    """How the ``virtual`` column keeps a virtual repository's members."""
    if virtual is None:
        return None
    return json.dumps(
        {
            "members": list(virtual.members),
            "default_deploy": virtual.default_deploy,
            "trust_remote_names": virtual.trust_remote_names,
        }
    )


def packages_json(settings: PackageSettings | None) -> str | None:
    """How the ``packages`` column keeps what a package repository allows."""
    return None if settings is None else json.dumps(dataclasses.asdict(settings), sort_keys=True)


def _packages(document: dict[str, object]) -> PackageSettings:
    return PackageSettings(
        overwrite=document.get("overwrite") is True,
        unpublish=document.get("unpublish") is not False,
    )


def _virtual(document: dict[str, object]) -> Virtual:
    members = document.get("members")
    deploy = document.get("default_deploy")
    return Virtual(
        tuple(str(m) for m in members) if isinstance(members, list) else (),
        deploy if isinstance(deploy, str) else None,
        document.get("trust_remote_names") is True,
    )


__all__ = ["RepositoryQueries", "packages_json", "remote_json", "virtual_json"]
