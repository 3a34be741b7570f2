"""The bytes a repository, an image and the instance hold.

A repository's usage is the size of the distinct blobs it holds: a layer shared by two of
its images, or by two of its files, counts once. Each count reads the indexes by repository
and digest (``ix_blob_links_repository_digest``, ``ix_generic_files_repository_digest``) and
the blobs by their primary key. Manifests, a few KiB each, are not blobs and are not counted.
"""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema import blob_links, blobs, generic_files


def _digests_of(repository: str) -> sa.Subquery:
    """The distinct digests ``repository`` holds (UNION removes the duplicates)."""
    return sa.union(
        sa.select(blob_links.c.digest).where(blob_links.c.repository == repository),
        sa.select(generic_files.c.digest).where(generic_files.c.repository == repository),
    ).subquery()


def repository_usage(connection: sa.Connection, repository: str) -> int:
    held = _digests_of(repository)
    total = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(blobs.c.size), 0)).select_from(
            held.join(blobs, blobs.c.digest == held.c.digest)
        )
    ).scalar()
    return int(total or 0)


def usage_by_repository(connection: sa.Connection, keys: list[str] | None = None) -> dict[str, int]:
    """The usage of every repository (of those ``keys``) that holds anything, in one pass."""
    linked = sa.select(blob_links.c.repository, blob_links.c.digest)
    filed = sa.select(generic_files.c.repository, generic_files.c.digest)
    if keys is not None:
        linked = linked.where(blob_links.c.repository.in_(keys))
        filed = filed.where(generic_files.c.repository.in_(keys))
    pairs = sa.union(linked, filed).subquery()
    rows = connection.execute(
        sa.select(pairs.c.repository, sa.func.sum(blobs.c.size))
        .select_from(pairs.join(blobs, blobs.c.digest == pairs.c.digest))
        .group_by(pairs.c.repository)
    )
    return {row[0]: int(row[1] or 0) for row in rows}


def usage_by_image(connection: sa.Connection) -> list[tuple[str, str, int, int]]:
    """(repository, image, bytes, blobs) of every image that holds blobs (a blob link is
    unique per image already)."""
    rows = connection.execute(
        sa.select(
            blob_links.c.repository,
            blob_links.c.name,
            sa.func.sum(blobs.c.size),
            sa.func.count(),
        )
        .select_from(blob_links.join(blobs, blobs.c.digest == blob_links.c.digest))
        .group_by(blob_links.c.repository, blob_links.c.name)
    )
    return [(row[0], row[1], int(row[2] or 0), int(row[3])) for row in rows]


def stored(connection: sa.Connection) -> tuple[int, int]:
    """(bytes, blobs) of every blob stored, once each."""
    row = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(blobs.c.size), 0), sa.func.count()).select_from(
            blobs
        )
    ).one()
    return int(row[0] or 0), int(row[1])


def holds(
    connection: sa.Connection, repository: str, digest: str, *, besides: str | None = None
) -> bool:
    """Whether ``repository`` holds the blob, through an image or a file (other than the
    file at the path ``besides``)."""
    linked = sa.select(blob_links.c.digest).where(
        blob_links.c.repository == repository, blob_links.c.digest == digest
    )
    filed = sa.select(generic_files.c.digest).where(
        generic_files.c.repository == repository, generic_files.c.digest == digest
    )
    if besides is not None:
        filed = filed.where(generic_files.c.path != besides)
    return bool(connection.execute(sa.select(sa.or_(linked.exists(), filed.exists()))).scalar())


def is_stored(connection: sa.Connection, digest: str) -> bool:
    return (
        connection.execute(sa.select(blobs.c.digest).where(blobs.c.digest == digest)).first()
        is not None
    )


def freed_by_replacing(connection: sa.Connection, repository: str, path: str, digest: str) -> int:
    """The bytes ``repository`` no longer holds once the file at ``path`` holds ``digest``:
    those of the file there now, unless it holds the same content or the repository holds
    that content elsewhere too."""
    previous = connection.execute(
        sa.select(generic_files.c.digest, generic_files.c.size).where(
            generic_files.c.repository == repository, generic_files.c.path == path
        )
    ).first()
    if previous is None or previous.digest == digest:
        return 0
    if holds(connection, repository, previous.digest, besides=path):
        return 0
    return int(previous.size)


__all__ = [
    "freed_by_replacing",
    "holds",
    "is_stored",
    "repository_usage",
    "stored",
    "usage_by_image",
    "usage_by_repository",
]
