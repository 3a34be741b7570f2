"""Queries on the keys repositories sign their indexes with.

A change runs alone for its repository (``serialize_writes``): N processes signing a new
repository's first index at once create one key between them (the others find it)."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.schema import signing_keys
from cargohold.meta.upsert import serialize_writes
from cargohold.records.signing import SigningKey


class SigningKeyQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def keys(self, repository: str) -> list[SigningKey]:
        """Every key of ``repository``, retired ones included, newest first."""
        with reading(self._engine) as connection:
            return _keys(connection, repository)

    def create_first(self, key: SigningKey) -> list[SigningKey]:
        """Add ``key`` when the repository has none; its keys then, newest first."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [key.repository])
            found = _keys(connection, key.repository)
            if found:
                return found
            connection.execute(signing_keys.insert().values(**_values(key)))
            return [key]

    def rotate(
        self, key: SigningKey, retire_at: float, effects: Effects = NO_EFFECTS
    ) -> list[SigningKey]:
        """Add ``key`` as the repository's current key; the other keys sign and are
        published beside it until ``retire_at`` at the latest (one retiring sooner keeps its
        time). Keys retired before ``key.created_at`` go. The repository's keys then, newest
        first."""
        repository = key.repository
        with self._engine.begin() as connection:
            serialize_writes(connection, [repository])
            table = signing_keys.c
            connection.execute(
                signing_keys.delete().where(
                    table.repository == repository, table.retire_at <= key.created_at
                )
            )
            connection.execute(
                signing_keys.update()
                .where(
                    table.repository == repository,
                    sa.or_(table.retire_at.is_(None), table.retire_at > retire_at),
                )
                .values(retire_at=retire_at)
            )
            connection.execute(signing_keys.insert().values(**_values(key)))
            commit_in(connection, effects)
            return _keys(connection, repository)


def _keys(connection: sa.Connection, repository: str) -> list[SigningKey]:
    rows = connection.execute(
        sa.select(signing_keys)
        .where(signing_keys.c.repository == repository)
        .order_by(signing_keys.c.created_at.desc(), signing_keys.c.fingerprint)
    )
    return [
        SigningKey(
            row.repository, row.fingerprint, row.secret, row.public, row.created_at, row.retire_at
        )
        for row in rows
    ]


def _values(key: SigningKey) -> dict[str, object]:
    return {
        "repository": key.repository,
        "fingerprint": key.fingerprint,
        "secret": key.secret,
        "public": key.public,
        "created_at": key.created_at,
        "retire_at": key.retire_at,
    }


__all__ = ["SigningKeyQueries"]
