"""What keeps a blob alive, and the writes that tell the collector a blob was used.

A blob is live while a row of one of ``HOLDERS`` names its digest: a manifest's body, a
manifest's layer, config or child (an index's manifests), a generic file. A package format
that stores content adds its table here, and the collector, "why is this here" and the
tests follow. A tag holds a manifest, which holds its blobs; an untagged manifest holds its
blobs until retention removes it; a referrer (a manifest with a subject) is a manifest like
any other, removed by the collector once its subject is gone (``collector``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from cargohold.meta.schema import blob_links, blobs, generic_files, manifest_refs, manifests
from cargohold.meta.upsert import dialect_insert

HOLDERS: tuple[tuple[sa.Table, str], ...] = (
    (manifests, "digest"),
    (manifest_refs, "child"),
    (generic_files, "digest"),
)
BATCH = 500  # digests per statement (SQLite allows 32766 parameters; stay far below)


def unheld(digest: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Whether no holder names ``digest``: one ``NOT EXISTS`` per holder, which PostgreSQL
    runs as anti-joins along the indexes in digest order (``NOT (EXISTS ... OR ...)`` made
    it read every manifest for each page of the collector)."""
    return sa.and_(
        *(sa.not_(sa.exists().where(table.c[column] == digest)) for table, column in HOLDERS)
    )


def not_deleting(dialect: str) -> sa.ColumnElement[bool]:
    """The blob's bytes are not being deleted, said so that SQLite reads the rows by digest.

    ``+ 0`` keeps ix_blobs_deleting_since out on SQLite: without statistics (cargohold never
    runs ANALYZE) it takes that index for ``IS NULL``, true of nearly every row, over the
    primary key as soon as a statement names four digests or more, and reads every blob: 50 ms
    a manifest on 200,000 blobs, in the transaction that holds the write lock, and a page of
    the collector as long. PostgreSQL knows better, and misjudges ``+ 0``.
    """
    deleting: sa.ColumnElement[float] = blobs.c.deleting_since
    if dialect == "sqlite":
        deleting = deleting + 0
    return deleting.is_(None)


def keep(
    connection: sa.Connection, digest: str, size: int | None, now: float, *, claimed: bool = False
) -> bool:
    """Record that ``digest`` is (about to be) stored and used now: insert its row or touch
    it, unless the collector is deleting it (False). With ``size`` None the size on record
    stays (a claim before the bytes are verified); a new row then records 0 until the bytes'
    own link writes theirs.

    ``claimed``: the writer claimed the blob before it wrote or counted on the bytes, so the
    row must still be there; a row gone since was deleted with the bytes (False).
    """
    if claimed:
        values: dict[str, object] = {"touched_at": now}
        if size is not None:
            values["size"] = size
        touched = connection.execute(
            blobs.update()
            .where(blobs.c.digest == digest, blobs.c.deleting_since.is_(None))
            .values(**values)
        )
        return touched.rowcount == 1
    statement = dialect_insert(connection, blobs).values(
        digest=digest, size=size or 0, created_at=now, touched_at=now
    )
    update: dict[str, object] = {"touched_at": now}
    if size is not None:
        update["size"] = size
    statement = statement.on_conflict_do_update(
        index_elements=["digest"], set_=update, where=blobs.c.deleting_since.is_(None)
    ).returning(blobs.c.digest)
    return connection.execute(statement).first() is not None


def require(connection: sa.Connection, digests: Iterable[str], now: float) -> list[str]:
    """Touch the rows of ``digests``, which a manifest about to be recorded needs; those
    that are not stored or are being deleted (the manifest must then be refused)."""
    wanted = sorted(set(digests))
    available: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        touched = connection.execute(
            blobs.update()
            .where(blobs.c.digest.in_(batch), not_deleting(connection.dialect.name))
            .values(touched_at=now)
            .returning(blobs.c.digest)
        )
        available.update(touched.scalars())
    return [digest for digest in wanted if digest not in available]


def release(connection: sa.Connection, digests: Sequence[str], now: float) -> None:
    """Touch the rows of blobs something stopped holding: the grace period starts again, so
    a blob is collected only once it has been unreferenced for all of it."""
    wanted = sorted(set(digests))
    for start in range(0, len(wanted), BATCH):
        connection.execute(
            blobs.update()
            .where(blobs.c.digest.in_(wanted[start : start + BATCH]))
            .values(touched_at=now)
        )


def release_where(connection: sa.Connection, digests: sa.Select[tuple[str]], now: float) -> None:
    """``release`` the blobs a query names (a repository's, a manifest's children)."""
    connection.execute(blobs.update().where(blobs.c.digest.in_(digests)).values(touched_at=now))


def release_children(
    connection: sa.Connection, repository: str, name: str, digests: list[str], now: float
) -> None:
    """Start the grace period again for the bodies and children of manifests about to go."""
    release(connection, digests, now)
    release_where(
        connection,
        sa.select(manifest_refs.c.child).where(
            manifest_refs.c.repository == repository,
            manifest_refs.c.name == name,
            manifest_refs.c.digest.in_(digests),
        ),
        now,
    )


def release_held(connection: sa.Connection, repository: str, now: float) -> None:
    """``release`` everything ``repository`` holds or links (it is about to be deleted)."""
    for table, column in (*HOLDERS, (blob_links, "digest")):
        release_where(
            connection, sa.select(table.c[column]).where(table.c.repository == repository), now
        )


__all__ = [
    "BATCH",
    "HOLDERS",
    "keep",
    "not_deleting",
    "release",
    "release_children",
    "release_held",
    "release_where",
    "require",
    "unheld",
]
