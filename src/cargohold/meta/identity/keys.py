"""Queries on the keys registry tokens are signed with: kept in the database so that every
node signs and verifies with the same keys.

Every change to the keys runs alone: its transaction first makes itself the only writer of
the table (SQLite's write lock; on PostgreSQL a table lock that plain reads do not wait for),
and only then reads the keys it decides on. So N nodes starting at once create one first key
between them (the others wait, then find it), and two rotations at once each add a key newer
than every key before it, whatever the clocks of their nodes say.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.schema import token_keys
from cargohold.meta.upsert import serialize_writes
from cargohold.records.identity import TokenKeyRecord


class TokenKeyQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def all(self) -> list[TokenKeyRecord]:
        """Every key, oldest first: the last one signs."""
        with reading(self._engine) as connection:
            return _all(connection)

    def create_first(self, private_key: str, now: float) -> bool:
        """Add ``private_key`` as the first key when there is none; False when there is one
        already (another node may have created it a moment ago)."""
        with self._engine.begin() as connection:
            _only_writer(connection)
            if _all(connection):
                return False
            _insert(connection, _new(private_key, int(now * 1000)))
        return True

    def import_first(self, keys: Sequence[TokenKeyRecord]) -> bool:
        """Store ``keys`` as they are (ids included, so tokens they signed keep verifying)
        when there is no key yet; False when there is one already."""
        if not keys:
            return False
        with self._engine.begin() as connection:
            _only_writer(connection)
            if _all(connection):
                return False
            for key in keys:
                _insert(connection, key)
        return True

    def rotate(
        self, private_key: str, now: float, keep_for: float, effects: Effects = NO_EFFECTS
    ) -> TokenKeyRecord:
        """Add ``private_key`` as a key newer than every other, so it signs from now on;
        drop each key replaced more than ``keep_for`` seconds before ``now`` (every token it
        signed has expired); with ``effects``."""
        with self._engine.begin() as connection:
            _only_writer(connection)
            ordered = _all(connection)
            newest_ms = max((round(k.created * 1000) for k in ordered), default=0)
            new = _new(private_key, max(int(now * 1000), newest_ms + 1))
            _insert(connection, new)
            dropped = [
                older.kid
                for older, newer in itertools.pairwise([*ordered, new])
                if newer.created + keep_for < now
            ]
            if dropped:
                connection.execute(token_keys.delete().where(token_keys.c.kid.in_(dropped)))
            commit_in(connection, effects)
        return new


def _only_writer(connection: sa.Connection) -> None:
    """Make this transaction the only one changing the keys until it commits, before it reads
    them. PostgreSQL's SHARE ROW EXCLUSIVE lock conflicts with itself and with writes, not
    with reads."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE token_keys IN SHARE ROW EXCLUSIVE MODE")
    else:
        serialize_writes(connection, ())


def _new(private_key: str, created_ms: int) -> TokenKeyRecord:
    """A key created at ``created_ms``; its id starts with that time, so ids sort by age."""
    return TokenKeyRecord(f"{created_ms}-{secrets.token_hex(4)}", created_ms / 1000, private_key)


def _insert(connection: sa.Connection, key: TokenKeyRecord) -> None:
    connection.execute(
        token_keys.insert().values(kid=key.kid, created=key.created, private_key=key.private_key)
    )


def _all(connection: sa.Connection) -> list[TokenKeyRecord]:
    query = sa.select(token_keys).order_by(token_keys.c.created, token_keys.c.kid)
    return [_record(row) for row in connection.execute(query)]


def _record(row: sa.Row[Any]) -> TokenKeyRecord:
    return TokenKeyRecord(row.kid, row.created, row.private_key)


__all__ = ["TokenKeyQueries"]
