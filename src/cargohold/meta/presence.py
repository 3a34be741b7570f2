"""Which of a list of digests an image lacks, in one query."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.database import reading


def missing(
    engine: sa.Engine, table: sa.Table, repository: str, name: str, digests: list[str]
) -> list[str]:
    """Those of ``digests`` with no row of ``table`` for ``repository/name``, in order."""
    if not digests:
        return []
    with reading(engine) as connection:
        present = set(
            connection.execute(
                sa.select(table.c.digest).where(
                    table.c.repository == repository,
                    table.c.name == name,
                    table.c.digest.in_(digests),
                )
            ).scalars()
        )
    return [d for d in digests if d not in present]


__all__ = ["missing"]
