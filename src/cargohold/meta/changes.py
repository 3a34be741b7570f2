"""The change marker: a number that moves whenever any connection, in any process or on any
node, commits a write. In-process caches check it before trusting what they hold.

Within one request (one asyncio task, which the server starts with a fresh context) the first
reading is reused until this process commits a write, so a request pays for one reading, sees
every write committed before it began, and sees its own writes. Each database gives the
number its own way:

- **SQLite**: ``PRAGMA data_version``, read through one connection that never writes: it moves
  on every commit made by any other connection, and not on a rollback.
- **PostgreSQL**: the text of ``pg_current_snapshot()`` (``xmin:xmax:xip-list``), hashed to 63
  bits, one round trip. A transaction that writes holds a transaction id from its first
  write to its end; while it runs, its id is either in the list of running ones (``xip``) or
  at or past ``xmax``, the first id not yet completed; when it ends, it leaves the list, or
  ``xmax`` passes it. Either way the text changes, and an id never comes back, so the text
  never repeats. A reading is always taken *before* the reads it guards (the caches read the
  marker, then the data): a reading taken while a write is in flight holds that write as
  running, and differs from every reading taken after its commit, so whatever was loaded
  under it, before or after that commit, is dropped by the next request; a reading taken
  after the commit comes with data that includes the write, because the later read's
  snapshot is newer. The marker also moves for writes that were rolled back and for writes to
  other databases of the same server (extra invalidations, never a stale answer), which is
  why cargohold checks what it can refuse before it writes anything. Reads take no
  transaction id and leave the marker where it is.
"""

from __future__ import annotations

import contextvars
import hashlib
import sqlite3
import threading
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.pool import PoolProxiedConnection

from cargohold.core.errors import DatabaseUnavailable

_SEEN: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "cargohold_change_marker_seen", default=None
)


class _Source(Protocol):
    def read(self) -> int: ...

    def close(self) -> None: ...


class ChangeMarker:
    """A number that changes whenever any connection, in any process, commits a write."""

    def __init__(self, source: _Source) -> None:
        self._source = source
        self._local_commits = 0

    def note_commit(self, *_: object) -> None:
        """Called on every commit made through this process's engine."""
        self._local_commits += 1

    def read(self) -> int:
        seen = _SEEN.get()
        if seen is not None and seen[0] == self._local_commits:
            return seen[1]
        commits = self._local_commits
        value = self._source.read()
        _SEEN.set((commits, value))
        return value

    def close(self) -> None:
        self._source.close()


class _DataVersion:
    """SQLite's ``data_version``, through a connection of its own."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._sqlite = sqlite3.connect(path, check_same_thread=False)

    def read(self) -> int:
        with self._lock:
            row = self._sqlite.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        self._sqlite.close()


class _Snapshot:
    """PostgreSQL's current snapshot, through a connection of its own that runs each
    statement in a transaction of its own (autocommit) and so holds no snapshot between
    readings. The driver's cursor is used directly: a reading is one round trip and little
    else."""

    QUERY = "SELECT pg_current_snapshot()::text"

    def __init__(self, url: str) -> None:
        self._lock = threading.Lock()
        # Requests read the marker on the event loop, so a server that does not answer
        # must fail the reading in seconds, not hold every request of the process.
        self._engine = sa.create_engine(
            url,
            pool_size=1,
            max_overflow=0,
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 5, "tcp_user_timeout": 5000},
        )
        self._connection: PoolProxiedConnection | None = None

    def read(self) -> int:
        with self._lock:
            failure = self._engine.dialect.loaded_dbapi.Error
            try:
                text = self._snapshot()
            except failure:
                self._drop()
                try:
                    text = self._snapshot()  # the server restarted: once more, connected anew
                except failure as exc:
                    self._drop()
                    url = self._engine.url
                    raise DatabaseUnavailable(
                        f"the metadata database at {url.host}:{url.port or 5432}/"
                        f"{url.database} is unavailable ({str(exc).strip().splitlines()[0]}); "
                        "retry once it is back"
                    ) from exc
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") >> 1

    def _snapshot(self) -> str:
        if self._connection is None:
            self._connection = self._engine.raw_connection()
        cursor = self._connection.cursor()
        try:
            cursor.execute(self.QUERY)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            raise RuntimeError("pg_current_snapshot() returned no row")
        return str(row[0])

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self._engine.dispose()


def open_change_marker(url: str) -> ChangeMarker:
    """The change marker of the database at ``url``."""
    if url.startswith("sqlite:///"):
        return ChangeMarker(_DataVersion(url.removeprefix("sqlite:///")))
    if url.startswith("postgresql"):
        return ChangeMarker(_Snapshot(url))
    raise ValueError(f"no change marker for {url.split(':', 1)[0]} databases")


__all__ = ["ChangeMarker", "open_change_marker"]
