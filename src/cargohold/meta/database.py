"""Opening the database: engine, SQLite pragmas, migrations, and the change marker."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=16,
            max_overflow=16,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=16, max_overflow=16, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (idempotent; run once before serving)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class ChangeMarker:
    """A number that changes whenever any connection, in any process, commits a write.

    On SQLite this is ``PRAGMA data_version`` read through one connection that never writes:
    it moves on every commit made by any other connection. Reading it costs microseconds,
    so caches check it on every request.
    """

    def __init__(self, url: str) -> None:
        if not url.startswith("sqlite:///"):
            raise ValueError(f"no change marker for {url.split(':', 1)[0]} databases yet")
        self._lock = threading.Lock()
        self._sqlite = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)

    def read(self) -> int:
        with self._lock:
            row = self._sqlite.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        self._sqlite.close()


__all__ = ["ChangeMarker", "create_engine", "migrate"]
