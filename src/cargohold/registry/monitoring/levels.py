"""The levels a metrics scrape reports, read from the database at most once per
``MAX_AGE`` seconds in each process, however many scrapers ask."""

from __future__ import annotations

import time
from collections.abc import Callable

from anyio import Lock, to_thread

from cargohold.meta.store import MetadataStore
from cargohold.records.monitoring import InstanceLevels, PoolStatus

MAX_AGE = 5.0


class Levels:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float] = time.monotonic) -> None:
        self._meta = meta
        self._clock = clock
        self._lock = Lock()
        self._last: tuple[float, InstanceLevels] | None = None

    async def instance(self) -> InstanceLevels:
        """Jobs by kind and state, open upload sessions, each repository's usage."""
        async with self._lock:  # concurrent scrapes share one reading
            if self._last is not None and self._clock() - self._last[0] < MAX_AGE:
                return self._last[1]
            levels = await to_thread.run_sync(self._meta.gauges.levels)
            self._last = (self._clock(), levels)
            return levels

    def pool(self) -> PoolStatus:
        """This process's database connection pool."""
        return self._meta.gauges.pool()


__all__ = ["MAX_AGE", "Levels"]
