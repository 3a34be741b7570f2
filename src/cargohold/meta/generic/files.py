"""Queries on generic files: which path of which repository holds which content.

Folders are not stored: a folder is there while some file path goes through it. Paths never
hold a NUL byte, so ``path + "\\0"`` is the first string after ``path``, and every path inside
the folder ``f`` sorts in ``[f + "/", f + "0")`` (``"0"`` follows ``"/"``): listings seek
through the primary key instead of reading whole subtrees. (On PostgreSQL the column needs
the "C" collation for that order.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import sqlalchemy as sa

from cargohold.core.errors import Conflict, Denied
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.lifecycle import properties as props
from cargohold.meta.lifecycle.promotion import insert_record
from cargohold.meta.records import PromotionRecord
from cargohold.meta.schema import blobs, generic_files, uploads
from cargohold.meta.upsert import insert_ignore, serialize_writes, upsert

SEEK_BATCH = 256


@dataclass(frozen=True, slots=True)
class GenericFileRecord:
    repository: str
    path: str
    digest: str  # sha256:<hex>
    size: int
    sha1: str
    md5: str
    created_at: float
    updated_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """One child of a folder: a subfolder (``file`` None) or a file."""

    name: str
    file: GenericFileRecord | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """A file copied or moved to ``target.path``; ``replaced`` what was there before."""

    source: GenericFileRecord
    target: GenericFileRecord
    replaced: GenericFileRecord | None


def subject(path: str) -> str:
    """What properties of the file at ``path`` are on."""
    return f"file:{path}"


def folder_range(folder: str) -> tuple[str, str | None]:
    """Every path inside ``folder`` ("" is the root) is >= the first and < the second."""
    if not folder:
        return "", None
    return folder + "/", folder + "0"


def _record(row: sa.Row[tuple[object, ...]]) -> GenericFileRecord:
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
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # --- reading ------------------------------------------------------------------------

    def get(self, repository: str, path: str) -> GenericFileRecord | None:
        with self._engine.connect() as connection:
            return _get(connection, repository, path)

    def is_folder(self, repository: str, path: str) -> bool:
        """Whether some file lies inside ``path`` ("" is the root)."""
        with self._engine.connect() as connection:
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
        with self._engine.connect() as connection:
            found = _get(connection, repository, path)
            if found is not None:
                return [found]
            rows = connection.execute(
                sa.select(generic_files)
                .where(generic_files.c.repository == repository, _inside(path))
                .order_by(generic_files.c.path)
            )
            return [_record(row) for row in rows]

    def children(self, repository: str, folder: str, limit: int) -> list[FolderEntry]:
        """Up to ``limit`` direct children of ``folder``, by name: each subfolder is read as
        one row, then skipped with one seek, whatever it holds."""
        prefix, upper = folder_range(folder)
        entries: list[FolderEntry] = []
        lower = prefix
        with self._engine.connect() as connection:
            while len(entries) < limit:
                query = sa.select(generic_files).where(
                    generic_files.c.repository == repository, generic_files.c.path >= lower
                )
                if upper is not None:
                    query = query.where(generic_files.c.path < upper)
                rows = list(
                    connection.execute(query.order_by(generic_files.c.path).limit(SEEK_BATCH))
                )
                for row in rows:
                    if row.path < lower:
                        continue  # inside a subfolder already listed
                    name, slash, _ = row.path[len(prefix) :].partition("/")
                    if slash:
                        entries.append(FolderEntry(name))
                        lower = prefix + name + "0"
                    else:
                        entries.append(FolderEntry(name, _record(row)))
                        lower = row.path + "\0"
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
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(generic_files.c.path).limit(limit))
            return [_record(row) for row in rows]

    def holder(self, digest: str, repositories: list[str]) -> GenericFileRecord | None:
        """A file with this content in one of ``repositories``, if any."""
        if not repositories:
            return None
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(generic_files)
                .where(
                    generic_files.c.digest == digest,
                    generic_files.c.repository.in_(repositories),
                )
                .limit(1)
            ).first()
        return None if row is None else _record(row)

    # --- writing ------------------------------------------------------------------------

    def put(
        self,
        record: GenericFileRecord,
        properties: props.Values,
        *,
        may_overwrite: bool,
        upload_id: str | None = None,
        effects: Effects = NO_EFFECTS,
    ) -> GenericFileRecord | None:
        """Store ``record`` (and its blob's row) with exactly ``properties``, and return the
        file it replaced, if any (whose properties go with it).

        With ``upload_id``, that upload session ends in the same transaction, as do
        ``effects``. Raises
        Conflict when a folder is at the path or a file at one of its folders, Denied when a
        file is there and ``may_overwrite`` is false.
        """
        with self._engine.begin() as connection:
            serialize_writes(connection)
            previous = place(connection, record, may_overwrite)
            props.write(
                connection, record.repository, subject(record.path), properties, replace=True
            )
            insert_ignore(
                connection,
                blobs,
                [{"digest": record.digest, "size": record.size, "created_at": record.updated_at}],
            )
            if upload_id is not None:
                connection.execute(uploads.delete().where(uploads.c.id == upload_id))
            commit_in(connection, effects)
        return previous

    def transfer(
        self,
        moves: list[tuple[GenericFileRecord, str]],
        target_repository: str,
        *,
        move: bool,
        may_overwrite: bool,
        by: str,
        now: float,
        properties: props.Values,
        records: list[PromotionRecord],
        dry_run: bool = False,
        effects: Effects = NO_EFFECTS,
    ) -> list[Transfer]:
        """Copy (or move) each file, with its properties plus ``properties``, to its new path
        in ``target_repository`` and store ``records``, all or nothing: metadata only, the
        content is shared. A file identical to the one at the target path leaves it as it
        is. ``effects`` commit with the promotion. A dry run checks everything and changes
        nothing."""
        done: list[Transfer] = []
        with self._engine.connect() as connection, connection.begin() as transaction:
            serialize_writes(connection)
            for source, target_path in moves:
                current = _get(connection, source.repository, source.path)
                if current is None or current.digest != source.digest:
                    raise Conflict(
                        f"{source.repository}/{source.path} changed while it was being "
                        "promoted; nothing was promoted, try again"
                    )
                target = replace(
                    source,
                    repository=target_repository,
                    path=target_path,
                    created_at=now,
                    updated_at=now,
                    created_by=by,
                )
                existing = _get(connection, target_repository, target_path)
                if existing is not None and existing.digest == source.digest:
                    target, previous = existing, None
                else:
                    previous = place(connection, target, may_overwrite)
                    if previous is not None:
                        props.remove(connection, target_repository, subject(target_path), None)
                source_subject = subject(source.path)
                props.copy(
                    connection,
                    source.repository,
                    source_subject,
                    target_repository,
                    subject(target_path),
                )
                props.write(connection, target_repository, subject(target_path), properties)
                if move:
                    connection.execute(
                        generic_files.delete().where(
                            generic_files.c.repository == source.repository,
                            generic_files.c.path == source.path,
                        )
                    )
                    props.remove(connection, source.repository, source_subject, None)
                done.append(Transfer(source, target, previous))
            if dry_run:
                transaction.rollback()
            else:
                for record in records:
                    insert_record(connection, record)
                commit_in(connection, effects)
        if dry_run:
            with self._engine.begin() as connection:
                for record in records:
                    insert_record(connection, record)
        return done

    def delete(
        self,
        repository: str,
        path: str,
        effects_of: Callable[[list[GenericFileRecord]], Effects] = lambda gone: NO_EFFECTS,
    ) -> list[GenericFileRecord]:
        """Delete the file at ``path``, or else every file inside the folder ``path``, and
        commit the effects of deleting them (``effects_of`` the files), if any."""
        with self._engine.begin() as connection:
            serialize_writes(connection)
            found = _get(connection, repository, path)
            where = generic_files.c.path == path if found is not None else _inside(path)
            condition = sa.and_(generic_files.c.repository == repository, where)
            gone = (
                [found]
                if found is not None
                else [
                    _record(row)
                    for row in connection.execute(
                        sa.select(generic_files).where(condition).order_by(generic_files.c.path)
                    )
                ]
            )
            connection.execute(generic_files.delete().where(condition))
            for file in gone:
                props.remove(connection, repository, subject(file.path), None)
            if gone:
                commit_in(connection, effects_of(gone))
        return gone


def _get(connection: sa.Connection, repository: str, path: str) -> GenericFileRecord | None:
    row = connection.execute(
        sa.select(generic_files).where(
            generic_files.c.repository == repository, generic_files.c.path == path
        )
    ).first()
    return None if row is None else _record(row)


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
    previous = _get(connection, repository, path)
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


__all__ = [
    "FolderEntry",
    "GenericFileQueries",
    "GenericFileRecord",
    "Transfer",
    "folder_range",
    "subject",
]
