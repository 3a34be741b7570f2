"""Queries on package versions and their files.

A file's bytes and path are a ``generic_files`` row (``meta/generic``), written with the
version's rows in one transaction: quotas, garbage collection, properties, scans and
where-used see a package file as any stored file, and the index never names a file whose
row is not there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa

from cargohold.core.errors import Conflict, StorageUnavailable
from cargohold.core.properties import package_subject
from cargohold.meta import properties as props
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import keep, release
from cargohold.meta.generic.files import get_file, place, record_of, subject
from cargohold.meta.quotas.limits import QuotaQueries
from cargohold.meta.schema import (
    generic_files,
    package_files,
    package_tags,
    package_versions,
    uploads,
)
from cargohold.meta.upsert import serialize_writes, upsert
from cargohold.records.generic import GenericFileRecord
from cargohold.records.packages import DistTag, PackageFile, PackageVersion


def _version(row: sa.Row[tuple[object, ...]]) -> PackageVersion:
    return PackageVersion(
        repository=row.repository,
        name=row.name,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        yanked=row.yanked,
        document=row.document,
    )


_FILE_COLUMNS = (
    *generic_files.c,
    package_files.c.name.label("package_name"),
    package_files.c.version,
    package_files.c.filename,
    package_files.c.requires_python,
    package_files.c.core_metadata,
)


def _file(row: sa.Row[tuple[object, ...]]) -> PackageFile:
    return PackageFile(
        file=record_of(row),
        name=row.package_name,
        version=row.version,
        filename=row.filename,
        requires_python=row.requires_python,
        core_metadata=row.core_metadata,
    )


def _files_query() -> sa.Select[tuple[object, ...]]:
    return sa.select(*_FILE_COLUMNS).join_from(
        package_files,
        generic_files,
        sa.and_(
            generic_files.c.repository == package_files.c.repository,
            generic_files.c.path == package_files.c.path,
        ),
    )


class PackageQueries:
    def __init__(self, engine: sa.Engine, quotas: QuotaQueries | None = None) -> None:
        self._engine = engine
        self._quotas = quotas or QuotaQueries(engine)

    # --- reading ------------------------------------------------------------------------

    def names(
        self, repository: str, after: str | None = None, limit: int | None = None
    ) -> list[str]:
        """The packages of ``repository``, by name (``limit`` of them after ``after``)."""
        query = (
            sa.select(package_versions.c.name)
            .where(package_versions.c.repository == repository)
            .distinct()
            .order_by(package_versions.c.name)
        )
        if after is not None:
            query = query.where(package_versions.c.name > after)
        if limit is not None:
            query = query.limit(limit)
        with reading(self._engine) as connection:
            return [row.name for row in connection.execute(query)]

    def holders(self, repositories: Sequence[str], name: str) -> list[str]:
        """Which of ``repositories`` hold a version of package ``name``."""
        if not repositories:
            return []
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(package_versions.c.repository)
                .where(
                    package_versions.c.repository.in_(list(repositories)),
                    package_versions.c.name == name,
                )
                .distinct()
            )
            return [row.repository for row in rows]

    def version(self, repository: str, name: str, version: str) -> PackageVersion | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(package_versions).where(
                    package_versions.c.repository == repository,
                    package_versions.c.name == name,
                    package_versions.c.version == version,
                )
            ).first()
        return None if row is None else _version(row)

    def versions(self, repository: str, name: str) -> list[PackageVersion]:
        """The versions of package ``name``, oldest first."""
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(package_versions)
                .where(package_versions.c.repository == repository)
                .where(package_versions.c.name == name)
                .order_by(package_versions.c.created_at, package_versions.c.version)
            )
            return [_version(row) for row in rows]

    def files(self, repository: str, name: str, version: str | None = None) -> list[PackageFile]:
        """The files of package ``name`` (of one ``version``), by path."""
        query = _files_query().where(
            package_files.c.repository == repository, package_files.c.name == name
        )
        if version is not None:
            query = query.where(package_files.c.version == version)
        with reading(self._engine) as connection:
            rows = connection.execute(query.order_by(package_files.c.path))
            return [_file(row) for row in rows]

    def file(self, repository: str, path: str) -> PackageFile | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                _files_query().where(
                    package_files.c.repository == repository, package_files.c.path == path
                )
            ).first()
        return None if row is None else _file(row)

    def tags(self, repository: str, name: str) -> list[DistTag]:
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(package_tags)
                .where(package_tags.c.repository == repository, package_tags.c.name == name)
                .order_by(package_tags.c.tag)
            )
            return [DistTag(row.repository, row.name, row.tag, row.version) for row in rows]

    # --- writing ------------------------------------------------------------------------

    def publish(
        self,
        version: PackageVersion,
        files: Sequence[PackageFile],
        *,
        overwrite: bool,
        new_version: bool = False,
        tags: Mapping[str, str] | None = None,
        upload_ids: Sequence[str] = (),
        effects: Effects = NO_EFFECTS,
        claimed: bool = False,
    ) -> list[GenericFileRecord]:
        """Add ``files`` to ``version`` (made if it is new; its document replaced when
        ``new_version`` or ``overwrite``), point ``tags`` at it, end ``upload_ids`` and commit
        ``effects``, in one transaction; the files replaced.

        Conflict when a file exists (or, with ``new_version``, the version does) and the
        repository does not allow ``overwrite``; QuotaExceeded over a quota;
        StorageUnavailable when the content was garbage-collected while it was sent.
        """
        repository = version.repository
        replaced: list[GenericFileRecord] = []
        with self._engine.begin() as connection:
            serialize_writes(connection, [repository])
            existing = _version_row(connection, repository, version.name, version.version)
            if existing is not None and new_version and not overwrite:
                raise Conflict(
                    f"{version.name} {version.version} is already published in {repository!r}; "
                    "publish a new version (this repository does not allow overwriting)",
                    {"name": version.name, "version": version.version},
                )
            if existing is None:
                connection.execute(package_versions.insert().values(**_version_values(version)))
            elif new_version:
                connection.execute(
                    package_versions.update()
                    .where(*_version_key(repository, version.name, version.version))
                    .values(document=version.document, yanked=version.yanked)
                )
            for package_file in files:
                record = package_file.file
                previous = get_file(connection, repository, record.path)
                if previous is not None and not overwrite:
                    raise Conflict(
                        f"{package_file.filename} already exists in {repository!r}; upload a "
                        "new version (this repository does not allow overwriting files)",
                        {"filename": package_file.filename},
                    )
                self._quotas.enforce_file(connection, record)
                place(connection, record, may_overwrite=True)
                if not keep(
                    connection, record.digest, record.size, record.updated_at, claimed=claimed
                ):
                    raise StorageUnavailable(
                        f"the content of {package_file.filename} was being garbage-collected "
                        "as it was uploaded; upload it again"
                    )
                if previous is not None:
                    replaced.append(previous)
                    if previous.digest != record.digest:
                        release(connection, [previous.digest], record.updated_at)
                _file_row(connection, package_file)
            for tag, target in (tags or {}).items():
                _set_tag(connection, DistTag(repository, version.name, tag, target))
            if upload_ids:
                connection.execute(uploads.delete().where(uploads.c.id.in_(list(upload_ids))))
            commit_in(connection, effects)
        return replaced

    def mirror(
        self,
        repository: str,
        name: str,
        versions: Sequence[PackageVersion],
        tags: Mapping[str, str],
    ) -> None:
        """Make a remote repository's rows of package ``name`` say what its upstream says, in
        one transaction: ``versions`` added or their document and yank reason updated, the
        versions the upstream no longer lists dropped unless a file of them is cached, the
        dist-tags replaced by ``tags`` (those naming a version held)."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [repository])
            where = (package_versions.c.repository == repository, package_versions.c.name == name)
            held = {
                row.version: (row.document, row.yanked)
                for row in connection.execute(
                    sa.select(
                        package_versions.c.version,
                        package_versions.c.document,
                        package_versions.c.yanked,
                    ).where(*where)
                )
            }
            for version in versions:
                now = held.get(version.version)
                if now is None:
                    connection.execute(package_versions.insert().values(**_version_values(version)))
                elif now != (version.document, version.yanked):
                    connection.execute(
                        package_versions.update()
                        .where(*_version_key(repository, name, version.version))
                        .values(document=version.document, yanked=version.yanked)
                    )
            listed = {v.version for v in versions}
            cached = {
                row.version
                for row in connection.execute(
                    sa.select(package_files.c.version).where(
                        package_files.c.repository == repository, package_files.c.name == name
                    )
                )
            }
            gone = [v for v in held if v not in listed and v not in cached]
            if gone:
                connection.execute(
                    package_versions.delete().where(*where, package_versions.c.version.in_(gone))
                )
            connection.execute(
                package_tags.delete().where(
                    package_tags.c.repository == repository, package_tags.c.name == name
                )
            )
            kept = listed | cached
            for tag, target in tags.items():
                if target in kept:
                    _set_tag(connection, DistTag(repository, name, tag, target))

    def set_tag(self, tag: DistTag, effects: Effects = NO_EFFECTS) -> None:
        """Point ``tag`` at its version (Conflict when the version is not there)."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [tag.repository])
            if _version_row(connection, tag.repository, tag.name, tag.version) is None:
                raise Conflict(
                    f"{tag.name} has no version {tag.version} in {tag.repository!r}",
                    {"version": tag.version},
                )
            _set_tag(connection, tag)
            commit_in(connection, effects)

    def remove_tag(
        self, repository: str, name: str, tag: str, effects: Effects = NO_EFFECTS
    ) -> bool:
        with self._engine.begin() as connection:
            result = connection.execute(
                package_tags.delete().where(
                    package_tags.c.repository == repository,
                    package_tags.c.name == name,
                    package_tags.c.tag == tag,
                )
            )
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    def yank(
        self,
        repository: str,
        name: str,
        versions: Mapping[str, str | None],
        effects: Effects = NO_EFFECTS,
    ) -> int:
        """Set (or, with None, clear) the yank reason or deprecation message of ``versions``;
        how many versions there were."""
        changed = 0
        with self._engine.begin() as connection:
            for version, reason in versions.items():
                result = connection.execute(
                    package_versions.update()
                    .where(*_version_key(repository, name, version))
                    .values(yanked=reason)
                )
                changed += result.rowcount
            if changed:
                commit_in(connection, effects)
        return changed

    def delete(
        self,
        repository: str,
        name: str,
        version: str | None = None,
        effects_of: Callable[[list[PackageFile]], Effects] = lambda gone: NO_EFFECTS,
    ) -> list[PackageVersion]:
        """Delete one ``version`` of package ``name``, or all of them, with their files,
        properties and the dist-tags that pointed at them; the versions deleted."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [repository])
            gone_versions, gone = remove(connection, repository, name, version, time.time())
            if gone_versions:
                commit_in(connection, effects_of(gone))
        return gone_versions


def remove(
    connection: sa.Connection, repository: str, name: str, version: str | None, now: float
) -> tuple[list[PackageVersion], list[PackageFile]]:
    """Delete one ``version`` of package ``name`` (all with None) with its files, their
    properties and its own, and the dist-tags that point at it; what was deleted."""
    where_versions = [package_versions.c.repository == repository, package_versions.c.name == name]
    where_files = [package_files.c.repository == repository, package_files.c.name == name]
    where_tags = [package_tags.c.repository == repository, package_tags.c.name == name]
    if version is not None:
        where_versions.append(package_versions.c.version == version)
        where_files.append(package_files.c.version == version)
        where_tags.append(package_tags.c.version == version)
    gone_versions = [
        _version(row)
        for row in connection.execute(sa.select(package_versions).where(*where_versions))
    ]
    if not gone_versions:
        return [], []
    gone = [_file(row) for row in connection.execute(_files_query().where(*where_files))]
    release(connection, [f.file.digest for f in gone], now)
    paths = [f.file.path for f in gone]
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        connection.execute(
            generic_files.delete().where(
                generic_files.c.repository == repository, generic_files.c.path.in_(chunk)
            )
        )
        for path in chunk:
            props.remove(connection, repository, subject(path), None)
    connection.execute(package_files.delete().where(*where_files))
    connection.execute(package_tags.delete().where(*where_tags))
    connection.execute(package_versions.delete().where(*where_versions))
    for gone_version in gone_versions:
        props.remove(
            connection, repository, package_subject(gone_version.name, gone_version.version), None
        )
    return gone_versions, gone


def version_in(
    connection: sa.Connection, repository: str, name: str, version: str
) -> tuple[PackageVersion | None, list[PackageFile], list[DistTag]]:
    """A version, its files and the dist-tags pointing at it, read in ``connection``."""
    row = _version_row(connection, repository, name, version)
    if row is None:
        return None, [], []
    files = connection.execute(
        _files_query()
        .where(
            package_files.c.repository == repository,
            package_files.c.name == name,
            package_files.c.version == version,
        )
        .order_by(package_files.c.path)
    )
    tags = connection.execute(
        sa.select(package_tags).where(
            package_tags.c.repository == repository,
            package_tags.c.name == name,
            package_tags.c.version == version,
        )
    )
    return (
        _version(row),
        [_file(f) for f in files],
        [DistTag(t.repository, t.name, t.tag, t.version) for t in tags],
    )


def add(
    connection: sa.Connection,
    version: PackageVersion,
    files: Sequence[PackageFile],
    tags: Sequence[DistTag],
) -> None:
    """Write a version new to its repository with its files (placed) and dist-tags."""
    connection.execute(package_versions.insert().values(**_version_values(version)))
    for package_file in files:
        place(connection, package_file.file, may_overwrite=False)
        _file_row(connection, package_file)
    for tag in tags:
        _set_tag(connection, tag)


def _file_row(connection: sa.Connection, package_file: PackageFile) -> None:
    row = {
        "repository": package_file.file.repository,
        "path": package_file.file.path,
        "name": package_file.name,
        "version": package_file.version,
        "filename": package_file.filename,
        "requires_python": package_file.requires_python,
        "core_metadata": package_file.core_metadata,
    }
    upsert(connection, package_files, row, list(row)[2:])


def _version_key(repository: str, name: str, version: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        package_versions.c.repository == repository,
        package_versions.c.name == name,
        package_versions.c.version == version,
    )


def _version_row(
    connection: sa.Connection, repository: str, name: str, version: str
) -> sa.Row[tuple[object, ...]] | None:
    return connection.execute(
        sa.select(package_versions).where(*_version_key(repository, name, version))
    ).first()


def _version_values(version: PackageVersion) -> dict[str, object]:
    json.loads(version.document)  # a document is JSON, or it is not stored
    return {
        "repository": version.repository,
        "name": version.name,
        "version": version.version,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "yanked": version.yanked,
        "document": version.document,
    }


def _set_tag(connection: sa.Connection, tag: DistTag) -> None:
    row = {"repository": tag.repository, "name": tag.name, "tag": tag.tag, "version": tag.version}
    upsert(connection, package_tags, row, ["version"])


__all__ = ["PackageQueries", "add", "remove", "version_in"]
