"""Queries on blobs, their links to repositories, and upload sessions."""

from __future__ import annotations

import time

import sqlalchemy as sa

from cargohold.meta import presence
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import keep
from cargohold.meta.quotas.limits import QuotaQueries
from cargohold.meta.schema import blob_links, blobs, uploads
from cargohold.meta.upsert import insert_ignore


class BlobQueries:
    def __init__(self, engine: sa.Engine, quotas: QuotaQueries | None = None) -> None:
        self._engine = engine
        self._quotas = quotas or QuotaQueries(engine)

    def link(
        self,
        repository: str,
        name: str,
        digest: str,
        size: int,
        upload_id: str | None = None,
        effects: Effects = NO_EFFECTS,
        *,
        claimed: bool = False,
    ) -> bool:
        """Record that the blob exists and that ``repository/name`` may read it.

        With ``upload_id``, the upload session ends in the same transaction; ``effects``
        commit with it. False, with nothing written, when the garbage collector is deleting
        the blob's bytes, or deleted them since the caller ``claimed`` it (the caller must
        not count on them). QuotaExceeded, with nothing written, when the blob would take
        the repository or the instance over its quota.
        """
        now = time.time()
        with self._engine.begin() as connection:
            self._quotas.enforce(connection, repository, digest, size)
            if not keep(connection, digest, size, now, claimed=claimed):
                return False
            insert_ignore(
                connection,
                blob_links,
                [{"repository": repository, "name": name, "digest": digest, "created_at": now}],
            )
            if upload_id is not None:
                connection.execute(uploads.delete().where(uploads.c.id == upload_id))
            commit_in(connection, effects)
        return True

    def claim(self, digest: str, now: float) -> float | None:
        """Claim the blob before its bytes are written or counted on: from now on the garbage
        collector leaves it alone for its grace period. None when claimed; else the time the
        collector started deleting it (wait until it is done, then claim again)."""
        for _ in range(10):  # each round loses only to a deletion that just ended
            with self._engine.begin() as connection:
                if keep(connection, digest, None, now):
                    return None
                since = connection.execute(
                    sa.select(blobs.c.deleting_since).where(blobs.c.digest == digest)
                ).scalar()
            if since is not None:
                return float(since)
        raise RuntimeError(f"could not claim blob {digest}: its row kept changing")

    def linked_size(self, repository: str, name: str, digest: str) -> int | None:
        """The blob's size when ``repository/name`` may read it, else None."""
        with reading(self._engine) as connection:
            return connection.execute(
                sa.select(blobs.c.size)
                .join(blob_links, blob_links.c.digest == blobs.c.digest)
                .where(
                    blob_links.c.repository == repository,
                    blob_links.c.name == name,
                    blob_links.c.digest == digest,
                    blobs.c.deleting_since.is_(None),
                )
            ).scalar()

    def missing(self, repository: str, name: str, digests: list[str]) -> list[str]:
        """Those of ``digests`` that ``repository/name`` may not read."""
        return presence.missing(self._engine, blob_links, repository, name, digests)

    def unlink(
        self, repository: str, name: str, digest: str, effects: Effects = NO_EFFECTS
    ) -> bool:
        """Unlink the blob from ``repository/name``; commit ``effects`` with it if it was
        linked."""
        with self._engine.begin() as connection:
            result = connection.execute(
                blob_links.delete().where(
                    blob_links.c.repository == repository,
                    blob_links.c.name == name,
                    blob_links.c.digest == digest,
                )
            )
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    def start_upload(self, upload_id: str, repository: str, name: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                uploads.insert().values(
                    id=upload_id, repository=repository, name=name, created_at=time.time()
                )
            )

    def upload_owner(self, upload_id: str) -> tuple[str, str] | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(uploads.c.repository, uploads.c.name).where(uploads.c.id == upload_id)
            ).first()
        return None if row is None else (row.repository, row.name)

    def end_upload(self, upload_id: str, effects: Effects = NO_EFFECTS) -> None:
        with self._engine.begin() as connection:
            connection.execute(uploads.delete().where(uploads.c.id == upload_id))
            commit_in(connection, effects)


__all__ = ["BlobQueries"]
