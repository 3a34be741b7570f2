"""Queries on upload sessions as housekeeping sees them: the abandoned ones by age, and which
of the sessions a blob store holds the metadata still knows. (Starting and ending a session
are in ``blobs.py``, with the blobs an upload links.)"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import uploads


class UploadQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def started_before(self, before: float, limit: int) -> list[str]:
        """The ids of sessions started before ``before``, oldest first, at most ``limit``."""
        c = uploads.c
        with reading(self._engine) as connection:
            return list(
                connection.execute(
                    sa.select(c.id).where(c.created_at < before).order_by(c.created_at).limit(limit)
                ).scalars()
            )

    def known(self, upload_ids: Sequence[str]) -> set[str]:
        """Those of ``upload_ids`` that name a session."""
        found: set[str] = set()
        with reading(self._engine) as connection:
            for start in range(0, len(upload_ids), 500):
                chunk = list(upload_ids[start : start + 500])
                found.update(
                    connection.execute(
                        sa.select(uploads.c.id).where(uploads.c.id.in_(chunk))
                    ).scalars()
                )
        return found


__all__ = ["UploadQueries"]
