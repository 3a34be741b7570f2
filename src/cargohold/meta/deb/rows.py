"""Where Debian package files are listed, read and written inside a caller's transaction: a
promotion copies a version's listing with its files."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cargohold.meta.schema import deb_entries
from cargohold.meta.upsert import insert_new


def copy_entries(connection: sa.Connection, source: str, target: str, paths: Sequence[str]) -> None:
    """List the files at ``paths`` in ``target`` where ``source`` lists them (nothing for a
    repository of another format, which lists nothing)."""
    if not paths:
        return
    rows = connection.execute(
        sa.select(deb_entries).where(
            deb_entries.c.repository == source, deb_entries.c.path.in_(list(paths))
        )
    )
    for row in list(rows):
        insert_new(
            connection,
            deb_entries,
            {
                "repository": target,
                "distribution": row.distribution,
                "component": row.component,
                "path": row.path,
                "architecture": row.architecture,
            },
        )


__all__ = ["copy_entries"]
