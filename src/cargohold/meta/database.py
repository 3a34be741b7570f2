"""Opening the database: engine, SQLite pragmas, the PostgreSQL pool, and migrations."""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cargohold.core.errors import DatabaseUnavailable, SchemaUnknown, StorageFull

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger("cargohold.meta")


# Connections each server process keeps to PostgreSQL (the default of the setting
# ``database_pool_size``, for code that opens a store without settings): every node
# runs ``workers`` processes, and each also holds one connection for the change marker, so a
# server allows ``nodes * workers * (pool size + 1)`` connections at most.
DEFAULT_POOL_SIZE = 10
SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for the write lock

# The advisory lock ``migrate`` holds on PostgreSQL, so nodes starting at once migrate in turn
# (any 64-bit number no other application on the same database uses: "cargohol" in ASCII).
MIGRATION_LOCK = int.from_bytes(b"cargohol", "big") >> 1


def create_engine(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> sa.Engine:
    """An engine on ``url``: SQLite as the embedded default, or PostgreSQL through psycopg 3
    with at most ``pool_size`` connections (a request that finds them all busy waits for one,
    up to 30 seconds)."""
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
    # No ping before each use (a round trip on every query): a connection the server closed
    # (a restart, a failover) fails the one request that meets it, as a 503 its client
    # retries, and the pool then replaces every connection opened before.
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        isolation_level="READ COMMITTED",  # what ``reading`` relies on, whatever the server's
        connect_args={"connect_timeout": 10},
    )
    sa.event.listen(engine, "handle_error", _unreachable)
    return engine


def reading(engine: sa.Engine) -> sa.Connection:
    """A connection for reads (``with reading(engine) as connection:``).

    On PostgreSQL each statement runs on its own (autocommit): a read is one round trip, not
    three (``BEGIN``, the query, ``ROLLBACK``). It sees what it would in a transaction, since
    at READ COMMITTED each statement of a transaction takes a snapshot of its own anyway. On
    SQLite, where a transaction gives all its statements one snapshot and costs no round
    trip, a read stays in one."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


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
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _disk_full(context: sa.engine.ExceptionContext) -> None:
    if isinstance(context.original_exception, sqlite3.OperationalError) and (
        "disk is full" in str(context.original_exception)
    ):
        raise StorageFull(
            "the registry's database disk is full; nothing was changed. Free space on the data "
            "directory's disk, then retry"
        ) from context.original_exception


def _unreachable(context: sa.engine.ExceptionContext) -> None:
    """A PostgreSQL server that cannot be reached (refused, gone, restarting) is a 503 the
    client may retry, not an error of cargohold's; the pool drops the broken connection."""
    failure = context.sqlalchemy_exception
    if isinstance(failure, sa.exc.OperationalError) and (
        context.is_disconnect or context.connection is None
    ):
        url = context.engine.url if context.engine is not None else None
        where = "" if url is None else f" at {url.host}:{url.port or 5432}/{url.database}"
        raise DatabaseUnavailable(
            f"the metadata database{where} is unavailable ({_first_line(failure.orig)}); "
            "nothing was changed, retry once it is back"
        ) from context.original_exception


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "?"


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``, the newest by default (idempotent; run once before
    serving).

    On PostgreSQL the whole upgrade is one transaction that first takes an advisory lock:
    nodes starting at once wait for each other, and each finds the schema where the one
    before it left it, so the migrations run exactly once."""
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(connection: sa.Connection) -> str | None:
    """The schema revision the database is at; None for one no migration ever ran on."""
    return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str:
    """The schema revision of this version: its newest migration (read once per process
    from the scripts)."""
    return str(ScriptDirectory.from_config(_alembic_config()).get_current_head())


def pending_migrations(engine: sa.Engine) -> list[str]:
    """The revisions ``migrate`` would apply, oldest first (empty: the schema is at head).
    Reads only: changes nothing, not even on a database no migration ever ran on."""
    scripts = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as connection:
        current = current_revision(connection)
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        raise SchemaUnknown(
            f"the database is at schema revision {current}, which this version of cargohold "
            "does not know: it was written by a newer version; run that version, or restore a "
            "backup taken before the upgrade"
        )
    pending = [
        script.revision for script in scripts.iterate_revisions(scripts.get_current_head(), current)
    ]
    return pending[::-1]


__all__ = [
    "DEFAULT_POOL_SIZE",
    "MIGRATION_LOCK",
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_engine",
    "current_revision",
    "head_revision",
    "migrate",
    "pending_migrations",
    "reading",
]
