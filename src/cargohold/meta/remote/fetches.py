"""Queries on fetches in progress (``remote_fetches``): the lease that makes one process, of
all the processes on all the nodes, the only one to ask the upstream for an object.

A row names the process that holds it (``owner``), the spool file the bytes arrive in (which
the other processes of the same machine read while it grows) and their total once known. The
holder beats the row every few seconds; a row not beaten for a while belongs to a process that
died, and the next one to ask takes it over. The row goes when the fetch ends, whatever its
outcome: what was stored is in the blob store, and a failure is tried again by the next
request.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import remote_fetches
from cargohold.meta.upsert import insert_new


@dataclass(frozen=True, slots=True)
class Fetch:
    """A fetch in progress as its row says."""

    key: str
    owner: str
    spool: str | None  # the file its bytes arrive in, on the holder's machine
    size: int | None  # their total, once the upstream said
    started_at: float
    beat_at: float


@dataclass(frozen=True, slots=True)
class Lead:
    """The answer to a process asking for a lease."""

    won: bool
    stale_spool: str | None = None  # the spool file of the dead holder it replaced


class FetchQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def lead(
        self, key: str, owner: str, spool: str | None, now: float, stale_before: float
    ) -> Lead:
        """Take the lease of ``key`` for ``owner``: won when no one held it, or its holder
        last beat before ``stale_before`` (then its row is replaced in the same
        transaction). Of processes racing for it, exactly one wins."""
        row = {
            "key": key,
            "owner": owner,
            "spool": spool,
            "size": None,
            "started_at": now,
            "beat_at": now,
        }
        c = remote_fetches.c
        with self._engine.begin() as connection:
            if insert_new(connection, remote_fetches, row):
                return Lead(True)
            # A racing taker-over deletes the same stale row: at most one deletion counts,
            # and of the two inserts that follow, one conflicts with the other.
            gone = connection.execute(
                remote_fetches.delete()
                .where(c.key == key, c.beat_at < stale_before)
                .returning(c.spool)
            ).first()
            if gone is None or not insert_new(connection, remote_fetches, row):
                return Lead(False)
            return Lead(True, gone.spool)

    def get(self, key: str) -> Fetch | None:
        c = remote_fetches.c
        with reading(self._engine) as connection:
            found = connection.execute(
                sa.select(c.key, c.owner, c.spool, c.size, c.started_at, c.beat_at).where(
                    c.key == key
                )
            ).first()
        if found is None:
            return None
        return Fetch(
            key=found.key,
            owner=found.owner,
            spool=found.spool,
            size=None if found.size is None else int(found.size),
            started_at=float(found.started_at),
            beat_at=float(found.beat_at),
        )

    def set_size(self, key: str, owner: str, size: int) -> None:
        """Record the total the upstream announced, for the processes that follow."""
        c = remote_fetches.c
        with self._engine.begin() as connection:
            connection.execute(
                remote_fetches.update().where(c.key == key, c.owner == owner).values(size=size)
            )

    def beat(self, owner: str, keys: Collection[str], now: float) -> set[str]:
        """Mark ``owner`` alive on these leases (one write for them all); the keys it still
        holds (a lease taken over while its holder was stalled is lost to it)."""
        if not keys:
            return set()
        c = remote_fetches.c
        held: set[str] = set()
        ordered = sorted(keys)
        with self._engine.begin() as connection:
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                held.update(
                    connection.execute(
                        remote_fetches.update()
                        .where(c.owner == owner, c.key.in_(chunk))
                        .values(beat_at=now)
                        .returning(c.key)
                    ).scalars()
                )
        return held

    def release(self, key: str, owner: str) -> None:
        """End ``owner``'s lease of ``key`` (nothing when it lost it meanwhile)."""
        c = remote_fetches.c
        with self._engine.begin() as connection:
            connection.execute(remote_fetches.delete().where(c.key == key, c.owner == owner))

    def forget_stale(self, before: float) -> list[str]:
        """Remove the leases last beaten before ``before`` (their holders died); the spool
        files they named."""
        c = remote_fetches.c
        with self._engine.begin() as connection:
            spools = connection.execute(
                remote_fetches.delete().where(c.beat_at < before).returning(c.spool)
            ).scalars()
            return [spool for spool in spools if spool is not None]

    def spools(self) -> set[str]:
        """The spool files the leases name."""
        c = remote_fetches.c
        with reading(self._engine) as connection:
            return {
                spool
                for spool in connection.execute(
                    sa.select(c.spool).where(c.spool.is_not(None))
                ).scalars()
            }


__all__ = ["Fetch", "FetchQueries", "Lead"]
