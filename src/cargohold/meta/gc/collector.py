"""The collector's queries: find blobs nothing holds, mark them, forget them once their bytes
are gone; find stored bytes no row records; remove referrers whose subject is gone.

Every page is ordered by digest and bounded, so a collection over millions of blobs holds
one page in memory and one short transaction at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.gc.holders import BATCH, not_deleting, release_children, unheld
from cargohold.meta.schema import blob_links, blobs, manifests, tags
from cargohold.meta.upsert import dialect_insert
from cargohold.records.gc import Collectable, ManifestKey


def _collectable(cutoff: float, dialect: str) -> sa.ColumnElement[bool]:
    return sa.and_(blobs.c.touched_at < cutoff, not_deleting(dialect), unheld(blobs.c.digest))


class GcQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # --- blobs nothing holds ------------------------------------------------------------

    def collectable(self, cutoff: float, after: str, limit: int) -> list[Collectable]:
        """Blobs after ``after`` (by digest) that nothing holds and nothing touched since
        ``cutoff``."""
        query = (
            sa.select(blobs.c.digest, blobs.c.size)
            .where(blobs.c.digest > after, _collectable(cutoff, self._engine.dialect.name))
            .order_by(blobs.c.digest)
            .limit(limit)
        )
        with reading(self._engine) as connection:
            return [Collectable(row.digest, row.size) for row in connection.execute(query)]

    def mark(self, digests: Sequence[str], cutoff: float, now: float) -> list[Collectable]:
        """Mark for deletion those of ``digests`` that are still collectable; the marked.

        On PostgreSQL the rows are locked first, skipping those a writer holds (a writer
        is touching them: not garbage now), and the check runs in a statement of its own,
        whose snapshot sees every writer that committed before the locks were taken; a
        writer that comes later waits for this transaction, then finds the mark. On SQLite
        the one statement holds the database's write lock and sees every commit.
        """
        wanted = sorted(set(digests))
        if not wanted:
            return []
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                wanted = list(
                    connection.execute(
                        sa.select(blobs.c.digest)
                        .where(blobs.c.digest.in_(wanted), blobs.c.deleting_since.is_(None))
                        .order_by(blobs.c.digest)
                        .with_for_update(skip_locked=True)
                    ).scalars()
                )
                if not wanted:
                    return []
            marked = connection.execute(
                blobs.update()
                .where(blobs.c.digest.in_(wanted), _collectable(cutoff, connection.dialect.name))
                .values(deleting_since=now)
                .returning(blobs.c.digest, blobs.c.size)
            )
            return sorted(Collectable(row.digest, row.size) for row in marked)

    def take_over(self, digest: str, since: float, now: float) -> bool:
        """Take over the deletion of a blob marked at ``since`` by a collection that stopped:
        whoever moves the mark first finishes the deletion."""
        with self._engine.begin() as connection:
            moved = connection.execute(
                blobs.update()
                .where(blobs.c.digest == digest, blobs.c.deleting_since == since)
                .values(deleting_since=now)
            )
        return moved.rowcount == 1

    def take_over_stale(self, marked_before: float, now: float, limit: int) -> list[Collectable]:
        """``take_over`` up to ``limit`` blobs marked before ``marked_before``."""
        with self._engine.begin() as connection:
            stale = (
                sa.select(blobs.c.digest)
                .where(blobs.c.deleting_since < marked_before)
                .order_by(blobs.c.digest)
                .limit(limit)
            )
            if connection.dialect.name == "postgresql":
                stale = stale.with_for_update(skip_locked=True)
            digests = list(connection.execute(stale).scalars())
            if not digests:
                return []
            moved = connection.execute(
                blobs.update()
                .where(blobs.c.digest.in_(digests), blobs.c.deleting_since < marked_before)
                .values(deleting_since=now)
                .returning(blobs.c.digest, blobs.c.size)
            )
            return sorted(Collectable(row.digest, row.size) for row in moved)

    def forget(self, digests: Sequence[str]) -> None:
        """Remove the rows (and links) of marked blobs whose bytes are deleted."""
        wanted = sorted(set(digests))
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            with self._engine.begin() as connection:
                gone = list(
                    connection.execute(
                        blobs.delete()
                        .where(blobs.c.digest.in_(batch), blobs.c.deleting_since.is_not(None))
                        .returning(blobs.c.digest)
                    ).scalars()
                )
                if gone:
                    connection.execute(blob_links.delete().where(blob_links.c.digest.in_(gone)))

    # --- stored bytes no row records ----------------------------------------------------

    def unrecorded(self, digests: Sequence[str]) -> list[str]:
        """Those of ``digests`` that have no row."""
        wanted = sorted(set(digests))
        recorded: set[str] = set()
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), BATCH):
                batch = wanted[start : start + BATCH]
                found = connection.execute(
                    sa.select(blobs.c.digest).where(blobs.c.digest.in_(batch))
                ).scalars()
                recorded.update(found)
        return [digest for digest in wanted if digest not in recorded]

    def mark_unrecorded(self, found: Sequence[Collectable], now: float) -> list[Collectable]:
        """Give stored bytes that no row records a row marked for deletion, unless a writer
        recorded them meanwhile; those marked."""
        if not found:
            return []
        rows = [
            {
                "digest": blob.digest,
                "size": blob.size,
                "created_at": now,
                "touched_at": 0.0,
                "deleting_since": now,
            }
            for blob in found
        ]
        sizes = {blob.digest: blob.size for blob in found}
        with self._engine.begin() as connection:
            statement = (
                dialect_insert(connection, blobs)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["digest"])
                .returning(blobs.c.digest)
            )
            inserted = connection.execute(statement).scalars()
            return sorted(Collectable(digest, sizes[digest]) for digest in inserted)

    # --- referrers whose subject is gone ------------------------------------------------

    def orphaned_referrers(self, cutoff: float, limit: int) -> list[ManifestKey]:
        """Untagged manifests pushed before ``cutoff`` whose subject is not in their image."""
        query = sa.select(manifests.c.repository, manifests.c.name, manifests.c.digest).where(
            _orphaned(cutoff)
        )
        with reading(self._engine) as connection:
            rows = connection.execute(query.order_by(*query.selected_columns).limit(limit))
            return [ManifestKey(row.repository, row.name, row.digest) for row in rows]

    def remove_orphaned(self, keys: Sequence[ManifestKey], cutoff: float, now: float) -> int:
        """Delete those of ``keys`` that are still orphaned referrers; how many."""
        removed = 0
        with self._engine.begin() as connection:
            for key in keys:
                where = sa.and_(
                    manifests.c.repository == key.repository,
                    manifests.c.name == key.name,
                    manifests.c.digest == key.digest,
                    _orphaned(cutoff),
                )
                if connection.execute(sa.select(manifests.c.digest).where(where)).first():
                    release_children(connection, key.repository, key.name, [key.digest], now)
                    removed += connection.execute(manifests.delete().where(where)).rowcount
        return removed


def _orphaned(cutoff: float) -> sa.ColumnElement[bool]:
    subject = manifests.alias("subject")
    return sa.and_(
        manifests.c.subject.is_not(None),
        manifests.c.created_at < cutoff,
        sa.not_(
            sa.exists().where(
                subject.c.repository == manifests.c.repository,
                subject.c.name == manifests.c.name,
                subject.c.digest == manifests.c.subject,
            )
        ),
        sa.not_(
            sa.exists().where(
                tags.c.repository == manifests.c.repository,
                tags.c.name == manifests.c.name,
                tags.c.digest == manifests.c.digest,
            )
        ),
    )


__all__ = ["GcQueries"]
