"""The database's part of readiness: it answers, it takes writes, and its schema is at the
newest migration this version ships.

The write check takes the write lock and gives it back without writing anything: an UPDATE
that matches no row, in a transaction rolled back. SQLite opens a write transaction for it
(so a read-only file or file system, or a lock no one releases, fails it); PostgreSQL refuses
it on a read-only server or transaction (a standby after a failover). Nothing grows, however
often load balancers ask. SQLite waits for the write lock at most ``WRITE_WAIT_MS``.
"""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.core.errors import DatabaseUnavailable
from cargohold.meta.database import (
    SQLITE_BUSY_TIMEOUT_MS,
    current_revision,
    head_revision,
    reading,
)

WRITE_WAIT_MS = 2000
_VERSIONS = sa.table("alembic_version", sa.column("version_num", sa.String))


class ReadinessQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def revision(self) -> str | None:
        """The migration the database is at (None: it has no schema); raises
        ``DatabaseUnavailable`` with the reason when it cannot be read."""
        try:
            with reading(self._engine) as connection:
                return current_revision(connection)
        except sa.exc.SQLAlchemyError as exc:
            raise DatabaseUnavailable(_reason(exc)) from exc

    def check_writable(self) -> None:
        """Raises ``DatabaseUnavailable`` saying why the database takes no write."""
        try:
            with self._engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                transaction = connection.begin()
                try:
                    if sqlite:
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
                    connection.execute(
                        sa.update(_VERSIONS)
                        .where(sa.false())
                        .values(version_num=_VERSIONS.c.version_num)
                    )
                finally:
                    transaction.rollback()
                    if sqlite:  # as the pool's other users expect it
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                        connection.rollback()
        except sa.exc.SQLAlchemyError as exc:
            raise DatabaseUnavailable(_reason(exc)) from exc


def _reason(exc: sa.exc.SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


__all__ = ["WRITE_WAIT_MS", "ReadinessQueries", "head_revision"]
