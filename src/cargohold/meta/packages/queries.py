"""Queries on package versions and their files.

A file's bytes and path are a ``generic_files`` row (``meta/generic``), written with the
version's rows in one transaction: quotas, garbage collection, properties, scans and
where-used see a package file as any stored file, and the index never names a file whose
row is not there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa

from cargohold.core.errors import Conflict, StorageUnavailable
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import keep, release
from cargohold.meta.generic.files import get_file, place
from cargohold.meta.packages.rows import (
    file_of,
    files_query,
    remove,
    set_tag_row,
    version_key,
    version_of,
    version_row,
    version_values,
    write_file_row,
)
from cargohold.meta.quotas.limits import QuotaQueries
from cargohold.meta.schema import (
    package_files,
    package_tags,
    package_versions,
    uploads,
)
from cargohold.meta.upsert import serialize_writes
from cargohold.records.generic import GenericFileRecord
from cargohold.records.packages import DistTag, PackageFile, PackageVersion


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
        return None if row is None else version_of(row)

    def versions(self, repository: str, name: str) -> list[PackageVersion]:
        """The versions of package ``name``, oldest first."""
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(package_versions)
                .where(package_versions.c.repository == repository)
                .where(package_versions.c.name == name)
                .order_by(package_versions.c.created_at, package_versions.c.version)
            )
            return [version_of(row) for row in rows]

    def files(self, repository: str, name: str, version: str | None = None) -> list[PackageFile]:
        """The files of package ``name`` (of one ``version``), by path."""
        query = files_query().where(
            package_files.c.repository == repository, package_files.c.name == name
        )
        if version is not None:
            query = query.where(package_files.c.version == version)
        with reading(self._engine) as connection:
            rows = connection.execute(query.order_by(package_files.c.path))
            return [file_of(row) for row in rows]

    def file(self, repository: str, path: str) -> PackageFile | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                files_query(metadata=True).where(
                    package_files.c.repository == repository, package_files.c.path == path
                )
            ).first()
        return None if row is None else file_of(row)

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
            existing = version_row(connection, repository, version.name, version.version)
            if existing is not None and new_version and not overwrite:
                raise Conflict(
                    f"{version.name} {version.version} is already published in {repository!r}; "
                    "publish a new version (this repository does not allow overwriting)",
                    {"name": version.name, "version": version.version},
                )
            if existing is None:
                connection.execute(package_versions.insert().values(**version_values(version)))
            elif new_version:
                connection.execute(
                    package_versions.update()
                    .where(*version_key(repository, version.name, version.version))
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
                write_file_row(connection, package_file)
            for tag, target in (tags or {}).items():
                set_tag_row(connection, DistTag(repository, version.name, tag, target))
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
                    connection.execute(package_versions.insert().values(**version_values(version)))
                elif now != (version.document, version.yanked):
                    connection.execute(
                        package_versions.update()
                        .where(*version_key(repository, name, version.version))
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
                    set_tag_row(connection, DistTag(repository, name, tag, target))

    def set_tag(self, tag: DistTag, effects: Effects = NO_EFFECTS) -> None:
        """Point ``tag`` at its version (Conflict when the version is not there)."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [tag.repository])
            if version_row(connection, tag.repository, tag.name, tag.version) is None:
                raise Conflict(
                    f"{tag.name} has no version {tag.version} in {tag.repository!r}",
                    {"version": tag.version},
                )
            set_tag_row(connection, tag)
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
                    .where(*version_key(repository, name, version))
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


__all__ = ["PackageQueries"]
