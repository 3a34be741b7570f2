"""The levels a scrape reads: jobs by kind and state, open upload sessions, repositories'
usage, and this process's connection pool."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from cargohold.meta.database import reading
from cargohold.meta.quotas import usage
from cargohold.meta.schema import jobs, uploads
from cargohold.records.monitoring import InstanceLevels, PoolStatus


class GaugeQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def levels(self) -> InstanceLevels:
        """In one connection: a GROUP BY over the job queue (as small as its retention keeps
        it), a count of upload sessions, and every repository's usage."""
        with reading(self._engine) as connection:
            counted = connection.execute(
                sa.select(jobs.c.kind, jobs.c.state, sa.func.count()).group_by(
                    jobs.c.kind, jobs.c.state
                )
            )
            by_kind = {(str(kind), str(state)): int(n) for kind, state, n in counted}
            open_uploads = connection.execute(
                sa.select(sa.func.count()).select_from(uploads)
            ).scalar_one()
            storage = usage.usage_by_repository(connection)
        return InstanceLevels(by_kind, int(open_uploads), storage)

    def pool(self) -> PoolStatus:
        pool = self._engine.pool
        if not isinstance(pool, QueuePool):
            return PoolStatus(0, 0, 0)
        # The pool keeps its overflow limit unexposed; -1 would mean no limit.
        overflow = max(0, int(getattr(pool, "_max_overflow", 0)))
        return PoolStatus(pool.checkedout(), pool.checkedin(), pool.size() + overflow)


__all__ = ["GaugeQueries"]
