"""The embedded database's file: an online snapshot of it, and putting one in place.

``snapshot`` uses SQLite's online backup API in one step (``pages=-1``): the copy is the
database as one commit left it, read in a single read transaction alongside the server's
writers (WAL mode lets them go on), never a file copied while it changes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from cargohold.core.errors import BackupFailed
from cargohold.meta.backup.queries import BackupQueries
from cargohold.meta.schema import blob_links, blobs, uploads

SQLITE = "sqlite:///"


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL; None for any other database."""
    if not url.startswith(SQLITE) or url == SQLITE or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix(SQLITE))


def snapshot(url: str, target: Path) -> None:
    """Copy the live database at ``url`` into ``target`` (replaced), then drop from the copy
    what a backup does not hold: upload sessions and blobs a collection was deleting."""
    source_file = sqlite_file(url)
    if source_file is None:
        raise BackupFailed(
            "cargohold backup copies the embedded SQLite database; this instance's metadata "
            "is in PostgreSQL: back it up with pg_dump and copy the object store (the README's "
            "'Backup and restore' says how), then check with cargohold verify"
        )
    if not source_file.is_file():
        raise BackupFailed(f"no database at {source_file}: is the data directory right?")
    target.unlink(missing_ok=True)
    _private_file(target)
    with (
        contextlib.closing(sqlite3.connect(source_file, timeout=30)) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)  # one step: one read transaction, one consistent state
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
    with copied(target) as engine, engine.begin() as connection:
        connection.execute(uploads.delete())
        deleting = sa.select(blobs.c.digest).where(blobs.c.deleting_since.is_not(None))
        connection.execute(blob_links.delete().where(blob_links.c.digest.in_(deleting)))
        connection.execute(blobs.delete().where(blobs.c.deleting_since.is_not(None)))


def restorable(url: str) -> Path:
    """The file a restore writes the database ``url`` to: an SQLite file not there yet."""
    target = sqlite_file(url)
    if target is None:
        raise BackupFailed(
            "cargohold restore writes the embedded SQLite database; with PostgreSQL, restore "
            "its pg_dump with pg_restore instead (the README's 'Backup and restore' says how)"
        )
    if target.exists():
        raise BackupFailed(f"{target} already exists: restore into an empty data directory")
    return target


def install(source: Path, url: str) -> None:
    """Put the database of a backup at ``url`` (an SQLite file that must not exist yet),
    checked for integrity first; written beside and renamed, so it appears whole."""
    target = restorable(url)
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
        problems = [row[0] for row in backup.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise BackupFailed(f"the backup's database {source} is damaged: {problems[0]}")
        partial = target.with_name(target.name + ".restoring")
        partial.unlink(missing_ok=True)
        _private_file(partial)
        with contextlib.closing(sqlite3.connect(partial)) as copy:
            backup.backup(copy)
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    partial.rename(target)


@contextlib.contextmanager
def copied(path: Path) -> Iterator[sa.Engine]:
    """An engine on a database copy (not a live one: no pool, no WAL)."""
    engine = sa.create_engine(f"{SQLITE}{path}", poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def copy_queries(path: Path) -> Iterator[BackupQueries]:
    """The queries of backups on the database copy at ``path``."""
    if not path.is_file():
        raise BackupFailed(f"no database at {path}")
    with copied(path) as engine:
        yield BackupQueries(engine)


def _private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only: it holds password hashes and keys."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    os.close(fd)


__all__ = ["copied", "copy_queries", "install", "restorable", "snapshot", "sqlite_file"]
