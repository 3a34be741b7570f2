"""Insert-or-ignore and insert-or-update, in each database's own dialect."""

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


__all__ = ["insert_ignore", "upsert"]
