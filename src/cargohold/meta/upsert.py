"""Insert-or-ignore, insert-or-update and write serialization, in each database's own dialect."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(connection: sa.Connection, table: sa.Table) -> Any:
    """An INSERT with the database's own ON CONFLICT clauses."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(
    connection: sa.Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]
) -> None:
    rows = list(rows)
    if rows:
        connection.execute(dialect_insert(connection, table).on_conflict_do_nothing(), rows)


def insert_new(connection: sa.Connection, table: sa.Table, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` unless its primary key is taken; whether it was inserted. Two
    transactions racing to create one name both get an answer, one of them False, where a
    check followed by an insert would fail the loser on the unique key."""
    keys = [c.name for c in table.primary_key.columns]
    statement = (
        dialect_insert(connection, table)
        .values(**row)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*table.primary_key.columns)
    )
    return connection.execute(statement).first() is not None


def upsert(
    connection: sa.Connection,
    table: sa.Table,
    row: Mapping[str, Any],
    update: Iterable[str],
) -> None:
    statement = dialect_insert(connection, table).values(**row)
    keys = [c.name for c in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in update}
    )
    connection.execute(statement)


def serialize_writes(connection: sa.Connection, repositories: Iterable[str]) -> None:
    """Make the rest of this transaction the only writer of these repositories that calls
    this, before it reads what it checks (that a tag is new, that no file is where a folder
    goes): of two racing writers, the second checks what the first wrote.

    SQLite's Python driver begins a transaction only at the first write, so a check that
    reads first could see a state another writer changes before this one writes. A write
    statement that changes nothing takes SQLite's write lock (on the whole database) at once.

    PostgreSQL takes an advisory lock per repository, held until the transaction ends:
    writers of other repositories go on, and a check refused before anything was written
    leaves no transaction id behind (the change marker stays). Take every lock a transaction
    needs in one call: they are taken in one order, so two writers never wait on each other.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("UPDATE repositories SET key = key WHERE 0")
        return
    for key in sorted({_lock_key(repository) for repository in repositories}):
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _lock_key(repository: str) -> int:
    """A 63-bit advisory lock number for the repository (two repositories that share one
    only wait for each other)."""
    digest = hashlib.blake2b(f"cargohold:repository:{repository}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") >> 1


__all__ = ["dialect_insert", "insert_ignore", "insert_new", "serialize_writes", "upsert"]
