"""Queries of upstream gates: one row per upstream that throttled or failed, read before each
request to it by every process and node, and gone once the upstream answers again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import upstream_gates
from cargohold.meta.upsert import insert_ignore
from cargohold.records.gates import UpstreamGate


class UpstreamGateQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, upstream: str) -> UpstreamGate | None:
        """The gate of ``upstream``; None while it has not failed since it last answered."""
        query = sa.select(upstream_gates).where(upstream_gates.c.upstream == upstream)
        with reading(self._engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else _gate(row)

    def close(
        self, upstream: str, now: float, reason: str, closed_for: Callable[[int], float]
    ) -> tuple[UpstreamGate, bool]:
        """Count one more failure of ``upstream`` and close its gate for
        ``closed_for(failures)`` seconds from ``now``; the gate, and whether this call closed
        it (False: it was closed already).

        A failure while the gate is closed (requests that were on their way when another
        failed) is not counted again: the backoff grows by failures in a row, not by the
        crowd that met one. Its window still replaces a shorter one (a longer
        ``Retry-After``). The row is locked from the read to the write, so processes and
        nodes failing at once count once each time the gate opens."""
        with self._engine.begin() as connection:
            # A row to lock even for a first failure: two first failures at once wait for
            # each other there (and SQLite takes its write lock before the read).
            empty = {"upstream": upstream, "closed_until": 0.0, "failures": 0, "reason": ""}
            insert_ignore(connection, upstream_gates, [{**empty, "updated_at": now}])
            row = connection.execute(
                sa.select(upstream_gates)
                .where(upstream_gates.c.upstream == upstream)
                .with_for_update()
            ).one()
            if row.closed_until > now:
                failures = int(row.failures)
                until = max(float(row.closed_until), now + closed_for(failures))
                closed = False
            else:
                failures = int(row.failures) + 1
                until = now + closed_for(failures)
                closed = True
            connection.execute(
                sa.update(upstream_gates)
                .where(upstream_gates.c.upstream == upstream)
                .values(closed_until=until, failures=failures, reason=reason, updated_at=now)
            )
        return UpstreamGate(upstream, until, failures, reason, now), closed

    def reopen(self, upstream: str) -> bool:
        """Forget the failures of ``upstream`` (it answered); whether it had any."""
        with self._engine.begin() as connection:
            deleted = connection.execute(
                sa.delete(upstream_gates).where(upstream_gates.c.upstream == upstream)
            )
        return deleted.rowcount > 0


def _gate(row: sa.Row[Any]) -> UpstreamGate:
    return UpstreamGate(
        upstream=row.upstream,
        closed_until=float(row.closed_until),
        failures=int(row.failures),
        reason=row.reason,
        updated_at=float(row.updated_at),
    )


__all__ = ["UpstreamGateQueries"]
