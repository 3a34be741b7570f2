"""Queries on generic files: which path of which repository holds which content.

Folders are not stored: a folder is there while some file path goes through it. Every path
inside the folder ``f`` sorts in ``[f + "/", f + "0")`` (``"0"`` follows ``"/"``): listings
seek through the primary key instead of reading whole subtrees. That holds in byte order,
which SQLite always compares in and PostgreSQL in the "C" collation the paths have there
(migration 0009).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from cargohold.core.errors import Conflict, Denied, StorageUnavailable
from cargohold.core.properties import Values
from cargohold.meta import properties as props
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import keep, release
from cargohold.meta.quotas.limits import QuotaQueries
from cargohold.meta.schema import generic_files, uploads
from cargohold.meta.upsert import serialize_writes, upsert
from cargohold.records.generic import FolderEntry, GenericFileRecord

SEEK_BATCH = 256


def subject(path: str) -> str:
    """What properties of the file at ``path`` are on."""
    return f"file:{path}"


def folder_range(folder: str) -> tuple[str, str | None]:
    """Every path inside ``folder`` ("" is the root) is >= the first and < the second."""
    if not folder:
        return "", None
    return folder + "/", folder + "0"


def record_of(row: sa.Row[tuple[object, ...]]) -> GenericFileRecord:
    return GenericFileRecord(
        repository=row.repository,
        path=row.path,
        digest=row.digest,
        size=row.size,
        sha1=row.sha1,
        md5=row.md5,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


def _inside(folder: str) -> sa.ColumnElement[bool]:
    lower, upper = folder_range(folder)
    condition = generic_files.c.path >= lower
    return condition if upper is None else sa.and_(condition, generic_files.c.path < upper)


class GenericFileQueries:
    def __init__(self, engine: sa.Engine, quotas: QuotaQueries | None = None) -> None:
        self._engine = engine
        self._quotas = quotas or QuotaQueries(engine)

    # --- reading ------------------------------------------------------------------------

    def get(self, repository: str, path: str) -> GenericFileRecord | None:
        with reading(self._engine) as connection:
            return get_file(connection, repository, path)

    def is_folder(self, repository: str, path: str) -> bool:
        """Whether some file lies inside ``path`` ("" is the root)."""
        with reading(self._engine) as connection:
            return (
                connection.execute(
                    sa.select(generic_files.c.path)
                    .where(generic_files.c.repository == repository, _inside(path))
                    .limit(1)
                ).first()
                is not None
            )

    def under(self, repository: str, path: str) -> list[GenericFileRecord]:
        """The file at ``path``, or else every file inside the folder ``path``, by path."""
        with reading(self._engine) as connection:
            found = get_file(connection, repository, path)
            if found is not None:
                return [found]
            rows = connection.execute(
                sa.select(generic_files)
                .where(generic_files.c.repository == repository, _inside(path))
                .order_by(generic_files.c.path)
            )
            return [record_of(row) for row in rows]

    def children(self, repository: str, folder: str, limit: int) -> list[FolderEntry]:
        """Up to ``limit`` direct children of ``folder``, by name: each subfolder is read as
        one row, then skipped with one seek, whatever it holds."""
        prefix, upper = folder_range(folder)
        entries: list[FolderEntry] = []
        path = generic_files.c.path
        seek = path >= prefix  # then past each child: > a file, >= the end of a subfolder
        with reading(self._engine) as connection:
            while len(entries) < limit:
                query = sa.select(generic_files).where(generic_files.c.repository == repository)
                query = query.where(seek) if upper is None else query.where(seek, path < upper)
                rows = list(connection.execute(query.order_by(path).limit(SEEK_BATCH)))
                skip_below = ""
                for row in rows:
                    if row.path < skip_below:
                        continue  # inside a subfolder already listed
                    name, slash, _ = row.path[len(prefix) :].partition("/")
                    if slash:
                        entries.append(FolderEntry(name))
                        skip_below = prefix + name + "0"
                        seek = path >= skip_below
                    else:
                        entries.append(FolderEntry(name, record_of(row)))
                        seek = path > row.path
                    if len(entries) == limit:
                        break
                if len(rows) < SEEK_BATCH:
                    break
        return entries

    def page(
        self, repository: str, prefix: str, after: str | None, limit: int
    ) -> list[GenericFileRecord]:
        """Files whose path starts with ``prefix``, by path, after the path ``after``."""
        query = sa.select(generic_files).where(generic_files.c.repository == repository)
        if prefix:
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            query = query.where(generic_files.c.path >= prefix, generic_files.c.path < upper)
        if after is not None:
            query = query.where(generic_files.c.path > after)
        with reading(self._engine) as connection:
            rows = connection.execute(query.order_by(generic_files.c.path).limit(limit))
            return [record_of(row) for row in rows]

    def holder(self, digest: str, repositories: list[str]) -> GenericFileRecord | None:
        """A file with this content in one of ``repositories``, if any."""
        if not repositories:
            return None
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(generic_files)
                .where(
                    generic_files.c.digest == digest,
                    generic_files.c.repository.in_(repositories),
                )
                .limit(1)
            ).first()
        return None if row is None else record_of(row)

    # --- writing ------------------------------------------------------------------------

    def put(
        self,
        record: GenericFileRecord,
        properties: Values,
        *,
        may_overwrite: bool,
        upload_id: str | None = None,
        effects: Effects = NO_EFFECTS,
        claimed: bool = False,
    ) -> GenericFileRecord | None:
        """Store ``record`` (and its blob's row) with exactly ``properties``, and return the
        file it replaced, if any (whose properties go with it).

        With ``upload_id``, that upload session ends in the same transaction, as do
        ``effects``. ``claimed``: the content was claimed before it was stored (see
        ``meta/gc``): refused with StorageUnavailable if it was garbage-collected since. Raises
        Conflict when a folder is at the path or a file at one of its folders, Denied when a
        file is there and ``may_overwrite`` is false; QuotaExceeded when the content would
        take the repository or the instance over its quota.
        """
        with self._engine.begin() as connection:
            serialize_writes(connection, [record.repository])
            self._quotas.enforce_file(connection, record)
            previous = place(connection, record, may_overwrite)
            props.write(
                connection, record.repository, subject(record.path), properties, replace=True
            )
            if not keep(connection, record.digest, record.size, record.updated_at, claimed=claimed):
                raise StorageUnavailable(
                    f"the content of {record.repository}/{record.path} was being "
                    "garbage-collected as it was deployed; deploy it again"
                )
            if previous is not None and previous.digest != record.digest:
                release(connection, [previous.digest], record.updated_at)
            if upload_id is not None:
                connection.execute(uploads.delete().where(uploads.c.id == upload_id))
            commit_in(connection, effects)
        return previous

    def delete(
        self,
        repository: str,
        path: str,
        effects_of: Callable[[list[GenericFileRecord]], Effects] = lambda gone: NO_EFFECTS,
    ) -> list[GenericFileRecord]:
        """Delete the file at ``path``, or else every file inside the folder ``path``, and
        commit the effects of deleting them (``effects_of`` the files), if any."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [repository])
            found = get_file(connection, repository, path)
            where = generic_files.c.path == path if found is not None else _inside(path)
            condition = sa.and_(generic_files.c.repository == repository, where)
            gone = (
                [found]
                if found is not None
                else [
                    record_of(row)
                    for row in connection.execute(
                        sa.select(generic_files).where(condition).order_by(generic_files.c.path)
                    )
                ]
            )
            release(connection, [file.digest for file in gone], time.time())
            connection.execute(generic_files.delete().where(condition))
            for file in gone:
                props.remove(connection, repository, subject(file.path), None)
            if gone:
                commit_in(connection, effects_of(gone))
        return gone


def get_file(connection: sa.Connection, repository: str, path: str) -> GenericFileRecord | None:
    row = connection.execute(
        sa.select(generic_files).where(
            generic_files.c.repository == repository, generic_files.c.path == path
        )
    ).first()
    return None if row is None else record_of(row)


def place(
    connection: sa.Connection, record: GenericFileRecord, may_overwrite: bool
) -> GenericFileRecord | None:
    """Write ``record`` at its path unless that breaks the tree; the file it replaced."""
    repository, path = record.repository, record.path
    parts = path.split("/")
    folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
    if folders:
        blocking = connection.execute(
            sa.select(generic_files.c.path)
            .where(generic_files.c.repository == repository, generic_files.c.path.in_(folders))
            .limit(1)
        ).scalar()
        if blocking is not None:
            raise Conflict(
                f"{repository}/{blocking} is a file, so it cannot be a folder of {path!r}",
                {"path": blocking},
            )
    inside = connection.execute(
        sa.select(generic_files.c.path)
        .where(generic_files.c.repository == repository, _inside(path))
        .limit(1)
    ).scalar()
    if inside is not None:
        raise Conflict(
            f"{repository}/{path} is a folder (it holds {inside!r}); a file cannot replace it",
            {"path": path},
        )
    previous = get_file(connection, repository, path)
    if previous is not None and not may_overwrite:
        raise Denied(
            f"{repository}/{path} exists; overwriting a file needs the delete permission on "
            f"repository {repository!r}",
            {"repository": repository, "action": "delete"},
        )
    row = {
        "repository": repository,
        "path": path,
        "digest": record.digest,
        "size": record.size,
        "sha1": record.sha1,
        "md5": record.md5,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "created_by": record.created_by,
    }
    upsert(connection, generic_files, row, [k for k in row if k not in ("repository", "path")])
    return previous


__all__ = ["GenericFileQueries", "folder_range", "get_file", "place", "record_of", "subject"]
