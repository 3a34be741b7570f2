"""The queries of backups and verification, on a live database or on a backup's copy."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cargohold.meta.database import current_revision, reading
from cargohold.meta.gc.holders import BATCH, HOLDERS, not_deleting, unheld
from cargohold.meta.schema import (
    blob_links,
    blobs,
    generic_files,
    manifests,
    repositories,
    tags,
    users,
)
from cargohold.records.backup import Contents, RecordedBlob


class BackupQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def recorded(self, after: str, limit: int, *, held_only: bool = False) -> list[RecordedBlob]:
        """Up to ``limit`` blobs after ``after`` (by digest) that no collection is deleting,
        each saying whether something holds it; ``held_only``: the held ones only."""
        held = sa.not_(unheld(blobs.c.digest))
        with reading(self._engine) as connection:
            query = sa.select(blobs.c.digest, blobs.c.size, held.label("held")).where(
                blobs.c.digest > after, not_deleting(connection.dialect.name)
            )
            if held_only:
                query = query.where(held)
            rows = connection.execute(query.order_by(blobs.c.digest).limit(limit))
            return [RecordedBlob(row.digest, row.size, bool(row.held)) for row in rows]

    def still_held(self, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` that something holds now."""
        wanted = sorted(set(digests))
        found: set[str] = set()
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), BATCH):
                batch = wanted[start : start + BATCH]
                for table, column in HOLDERS:
                    found.update(
                        connection.execute(
                            sa.select(table.c[column]).where(table.c[column].in_(batch)).distinct()
                        ).scalars()
                    )
        return found

    def forget(self, digests: Sequence[str]) -> int:
        """Remove the rows and links of ``digests`` that nothing holds (a backup's copy
        forgets the blobs whose bytes it could not copy); how many rows went."""
        wanted = sorted(set(digests))
        gone = 0
        with self._engine.begin() as connection:
            for start in range(0, len(wanted), BATCH):
                batch = wanted[start : start + BATCH]
                removed = list(
                    connection.execute(
                        blobs.delete()
                        .where(blobs.c.digest.in_(batch), unheld(blobs.c.digest))
                        .returning(blobs.c.digest)
                    ).scalars()
                )
                if removed:
                    connection.execute(blob_links.delete().where(blob_links.c.digest.in_(removed)))
                gone += len(removed)
        return gone

    def contents(self) -> Contents:
        images = sa.select(manifests.c.repository, manifests.c.name).distinct().subquery()
        counted = sa.select(
            sa.select(sa.func.count()).select_from(repositories).scalar_subquery(),
            sa.select(sa.func.count()).select_from(images).scalar_subquery(),
            sa.select(sa.func.count()).select_from(manifests).scalar_subquery(),
            sa.select(sa.func.count()).select_from(tags).scalar_subquery(),
            sa.select(sa.func.count()).select_from(generic_files).scalar_subquery(),
            sa.select(sa.func.count()).select_from(users).scalar_subquery(),
            sa.select(sa.func.count())
            .select_from(blobs)
            .where(blobs.c.deleting_since.is_(None))
            .scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(blobs.c.size), 0))
            .where(blobs.c.deleting_since.is_(None))
            .scalar_subquery(),
        )
        with reading(self._engine) as connection:
            row = connection.execute(counted).one()
        return Contents(*(int(value) for value in row))

    def revision(self) -> str | None:
        """The schema revision of the database."""
        with self._engine.connect() as connection:
            return current_revision(connection)


__all__ = ["BackupQueries"]
