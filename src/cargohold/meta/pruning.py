"""Deleting old rows in bounded batches: each batch is a transaction of its own, so that a
first prune of millions of rows never holds the write lock for long, and a prune that stops
half way (a crash, a concurrent writer) has kept what it removed."""

from __future__ import annotations

import logging

import sqlalchemy as sa

BATCH = 1000

log = logging.getLogger("cargohold.housekeeping")


def delete_in_batches(
    engine: sa.Engine,
    table: sa.Table,
    key: sa.Column[object],
    where: sa.ColumnElement[bool],
    batch: int = BATCH,
) -> int:
    """Delete the rows of ``table`` that match ``where``, ``batch`` rows (by ``key``) per
    transaction; how many went. A batch that a concurrent writer makes violate a foreign key
    (a row it now refers to) ends the prune: the next one removes the rest."""
    deleted = 0
    while True:
        chosen = sa.select(key).where(where).limit(batch)
        try:
            with engine.begin() as connection:
                count = connection.execute(table.delete().where(key.in_(chosen))).rowcount
        except sa.exc.IntegrityError as exc:
            log.info("pruning %s stopped at a row just referred to: %s", table.name, exc.orig)
            return deleted
        deleted += count
        if count < batch:
            return deleted


__all__ = ["BATCH", "delete_in_batches"]
