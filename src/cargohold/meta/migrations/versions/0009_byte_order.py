"""Text compares byte by byte on PostgreSQL too, as it does on SQLite.

Lists are in byte order (tags, names, paths, search results, every page after a cursor), and
a folder of generic files is the range of paths between ``folder + "/"`` and
``folder + "0"``: both hold only where text is compared byte by byte. SQLite always does;
PostgreSQL compares with the database's collation, which on most servers follows a language
(en_US: "a" < "B" < "b", punctuation nearly ignored). So every text column of cargohold's
tables takes the "C" collation, and the indexes over them follow. A migration that adds a
text column later gives it ``collation="C"`` on PostgreSQL (the migration tests check).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TEXT_COLUMNS = sa.text(
    "SELECT table_name, column_name, data_type, character_maximum_length"
    " FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name <> 'alembic_version'"
    " AND data_type IN ('text', 'character varying')"
    " ORDER BY table_name, ordinal_position"
)


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate("pg_catalog.default")


def _collate(collation: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return  # SQLite compares text byte by byte already
    columns: dict[str, list[str]] = {}
    for table, column, data_type, length in connection.execute(_TEXT_COLUMNS):
        kind = "text" if data_type == "text" else "varchar" + (f"({length})" if length else "")
        columns.setdefault(table, []).append(
            f'ALTER COLUMN "{column}" TYPE {kind} COLLATE {collation}'
        )
    for table, changes in columns.items():
        op.execute(f'ALTER TABLE "{table}" ' + ", ".join(changes))
