"""The levels a metrics scrape reports, read from the database at most once per
``MAX_AGE`` seconds in each process, however many scrapers ask."""

from __future__ import annotations

import time
from collections.abc import Callable

from anyio import to_thread

from cargohold.meta.store import MetadataStore
from cargohold.records.monitoring import InstanceLevels, PoolStatus
from cargohold.registry.monitoring.recent import Recent

MAX_AGE = 5.0


class Levels:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float] = time.monotonic) -> None:
        self._meta = meta
        self._levels = Recent(self._read, MAX_AGE, clock)  # concurrent scrapes share one

    async def instance(self) -> InstanceLevels:
        """Jobs by kind and state, open upload sessions, each repository's usage."""
        return await self._levels.get()

    async def _read(self) -> InstanceLevels:
        return await to_thread.run_sync(self._meta.gauges.levels)

    def pool(self) -> PoolStatus:
        """This process's database connection pool."""
        return self._meta.gauges.pool()


__all__ = ["MAX_AGE", "Levels"]
