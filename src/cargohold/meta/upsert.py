"""Insert-or-ignore, insert-or-update and write serialization, in each database's own dialect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(
    connection: sa.Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]
) -> None:
    rows = list(rows)
    if rows:
        connection.execute(_insert(connection, table).on_conflict_do_nothing(), rows)


def upsert(
    connection: sa.Connection,
    table: sa.Table,
    row: Mapping[str, Any],
    update: Iterable[str],
) -> None:
    statement = _insert(connection, table).values(**row)
    keys = [c.name for c in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in update}
    )
    connection.execute(statement)


def serialize_writes(connection: sa.Connection) -> None:
    """Make the rest of this transaction the only writer, before it reads what it checks.

    SQLite's Python driver begins a transaction only at the first write, so a check that
    reads first could see a state another writer changes before this one writes. A write
    statement that changes nothing takes SQLite's write lock at once; PostgreSQL takes row
    locks in the queries themselves.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("UPDATE repositories SET key = key WHERE 0")


__all__ = ["insert_ignore", "serialize_writes", "upsert"]
