"""The rows of package versions, their files and dist-tags, read and written inside a caller's
transaction: what the queries of packages (``queries.py``) and the promotion of a version
(``meta/lifecycle/package_promotion.py``) are made of."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa

from cargohold.core.properties import package_subject
from cargohold.meta import properties as props
from cargohold.meta.gc.holders import release
from cargohold.meta.generic.files import place, record_of, subject
from cargohold.meta.schema import (
    generic_files,
    package_files,
    package_tags,
    package_versions,
)
from cargohold.meta.upsert import insert_new, upsert
from cargohold.records.packages import DistTag, PackageFile, PackageVersion

LATEST = "latest"  # npm's default dist-tag


def version_of(row: sa.Row[tuple[object, ...]]) -> PackageVersion:
    return PackageVersion(
        repository=row.repository,
        name=row.name,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        yanked=row.yanked,
        document=row.document,
    )


FILE_COLUMNS = (
    *generic_files.c,
    package_files.c.name.label("package_name"),
    package_files.c.version,
    package_files.c.filename,
    package_files.c.requires_python,
    package_files.c.core_metadata_sha256,
)


def file_of(row: sa.Row[tuple[object, ...]]) -> PackageFile:
    return PackageFile(
        file=record_of(row),
        name=row.package_name,
        version=row.version,
        filename=row.filename,
        requires_python=row.requires_python,
        core_metadata=row._mapping.get("core_metadata"),  # when the query asked for it
        core_metadata_sha256=row.core_metadata_sha256,
    )


def files_query(*, metadata: bool = False) -> sa.Select[tuple[object, ...]]:
    """Files with what the index says of them; with ``metadata``, their core metadata too
    (listings leave it out: it can be large, and only its hash is listed)."""
    columns = (*FILE_COLUMNS, package_files.c.core_metadata) if metadata else FILE_COLUMNS
    return sa.select(*columns).join_from(
        package_files,
        generic_files,
        sa.and_(
            generic_files.c.repository == package_files.c.repository,
            generic_files.c.path == package_files.c.path,
        ),
    )


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
        version_of(row)
        for row in connection.execute(sa.select(package_versions).where(*where_versions))
    ]
    if not gone_versions:
        return [], []
    gone = [file_of(row) for row in connection.execute(files_query().where(*where_files))]
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
    moved_latest = connection.execute(
        sa.select(package_tags.c.tag).where(*where_tags, package_tags.c.tag == LATEST)
    ).first()
    connection.execute(package_tags.delete().where(*where_tags))
    connection.execute(package_versions.delete().where(*where_versions))
    if moved_latest is not None and version is not None:
        repoint_latest(connection, repository, name)
    for gone_version in gone_versions:
        props.remove(
            connection, repository, package_subject(gone_version.name, gone_version.version), None
        )
    return gone_versions, gone


def repoint_latest(connection: sa.Connection, repository: str, name: str) -> None:
    """Point ``latest`` at the newest version left (npm installs ``latest`` by default, and
    a package without it cannot be installed by name alone)."""
    newest = connection.execute(
        sa.select(package_versions.c.version)
        .where(package_versions.c.repository == repository, package_versions.c.name == name)
        .order_by(package_versions.c.created_at.desc(), package_versions.c.version.desc())
        .limit(1)
    ).first()
    if newest is not None:
        set_tag_row(connection, DistTag(repository, name, LATEST, newest.version))


def version_in(
    connection: sa.Connection, repository: str, name: str, version: str
) -> tuple[PackageVersion | None, list[PackageFile], list[DistTag]]:
    """A version, its files and the dist-tags pointing at it, read in ``connection``."""
    row = version_row(connection, repository, name, version)
    if row is None:
        return None, [], []
    files = connection.execute(
        files_query(metadata=True)
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
        version_of(row),
        [file_of(f) for f in files],
        [DistTag(t.repository, t.name, t.tag, t.version) for t in tags],
    )


def add(
    connection: sa.Connection,
    version: PackageVersion,
    files: Sequence[PackageFile],
    tags: Sequence[DistTag],
) -> None:
    """Write a version new to its repository with its files (placed) and the dist-tags its
    repository does not have yet."""
    connection.execute(package_versions.insert().values(**version_values(version)))
    for package_file in files:
        place(connection, package_file.file, may_overwrite=False)
        write_file_row(connection, package_file)
    for tag in tags:  # a tag the target has already stays as it is there
        insert_new(connection, package_tags, tag_row(tag))


def write_file_row(connection: sa.Connection, package_file: PackageFile) -> None:
    row = {
        "repository": package_file.file.repository,
        "path": package_file.file.path,
        "name": package_file.name,
        "version": package_file.version,
        "filename": package_file.filename,
        "requires_python": package_file.requires_python,
        "core_metadata": package_file.core_metadata,
        "core_metadata_sha256": None
        if package_file.core_metadata is None
        else hashlib.sha256(package_file.core_metadata).hexdigest(),
    }
    upsert(connection, package_files, row, list(row)[2:])


def version_key(repository: str, name: str, version: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        package_versions.c.repository == repository,
        package_versions.c.name == name,
        package_versions.c.version == version,
    )


def version_row(
    connection: sa.Connection, repository: str, name: str, version: str
) -> sa.Row[tuple[object, ...]] | None:
    return connection.execute(
        sa.select(package_versions).where(*version_key(repository, name, version))
    ).first()


def version_values(version: PackageVersion) -> dict[str, object]:
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


def tag_row(tag: DistTag) -> dict[str, str]:
    return {"repository": tag.repository, "name": tag.name, "tag": tag.tag, "version": tag.version}


def set_tag_row(connection: sa.Connection, tag: DistTag) -> None:
    upsert(connection, package_tags, tag_row(tag), ["version"])


__all__ = [
    "FILE_COLUMNS",
    "LATEST",
    "add",
    "file_of",
    "files_query",
    "remove",
    "repoint_latest",
    "set_tag_row",
    "tag_row",
    "version_in",
    "version_key",
    "version_of",
    "version_row",
    "version_values",
    "write_file_row",
]
