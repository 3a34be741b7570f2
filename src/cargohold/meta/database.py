"""Opening the database: engine, SQLite pragmas, migrations, and the change marker."""

from __future__ import annotations

import contextvars
import logging
import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from cargohold.core.errors import StorageFull

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger("cargohold.meta")


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        _owner_only(url)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=16,
            max_overflow=16,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "handle_error", _disk_full)
        return engine
    return sa.create_engine(url, pool_size=16, max_overflow=16, pool_pre_ping=True)


def _owner_only(url: str) -> None:
    """Create the SQLite file readable by its owner only (0600), whatever the umask, before
    SQLite opens it: SQLite gives the -wal and -shm files the database file's mode. A database
    others can read (as older versions left it) is tightened, with its -wal and -shm."""
    path = url.removeprefix("sqlite:///")
    if path == url or path in ("", ":memory:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        for name in (path, f"{path}-wal", f"{path}-shm"):
            _tighten(name)
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _tighten(path: str) -> None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
            log.warning(
                "%s was mode %03o, open to other users: made %03o", path, mode, mode & 0o700
            )
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("%s is open to other users and cannot be made 0600", path)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _disk_full(context: sa.engine.ExceptionContext) -> None:
    if isinstance(context.original_exception, sqlite3.OperationalError) and (
        "disk is full" in str(context.original_exception)
    ):
        raise StorageFull(
            "the registry's database disk is full; nothing was changed. Free space on the data "
            "directory's disk, then retry"
        ) from context.original_exception


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``, the newest by default (idempotent; run once before
    serving)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


_SEEN: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "cargohold_change_marker_seen", default=None
)


class ChangeMarker:
    """A number that changes whenever any connection, in any process, commits a write.

    On SQLite this is ``PRAGMA data_version`` read through one connection that never writes:
    it moves on every commit made by any other connection. Caches check it before trusting
    what they hold. Within one request (one asyncio task, which the server starts with a
    fresh context) the first reading is reused until this process commits a write, so a
    request pays for one reading, sees every write committed before it began, and sees its
    own writes.
    """

    def __init__(self, url: str) -> None:
        if not url.startswith("sqlite:///"):
            raise ValueError(f"no change marker for {url.split(':', 1)[0]} databases yet")
        self._lock = threading.Lock()
        self._sqlite = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        self._local_commits = 0

    def note_commit(self, *_: object) -> None:
        """Called on every commit made through this process's engine."""
        self._local_commits += 1

    def read(self) -> int:
        seen = _SEEN.get()
        if seen is not None and seen[0] == self._local_commits:
            return seen[1]
        commits = self._local_commits
        with self._lock:
            row = self._sqlite.execute("PRAGMA data_version").fetchone()
        value = int(row[0])
        _SEEN.set((commits, value))
        return value

    def close(self) -> None:
        self._sqlite.close()


__all__ = ["ChangeMarker", "create_engine", "migrate"]
