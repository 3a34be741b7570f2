"""In-process caches that stay correct across processes.

``ChangeAwareCache`` forgets everything whenever the metadata change marker moves, so a
read that follows a write on any worker sees that write. ``ContentCache`` holds what is
addressed by digest and therefore never changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cargohold.core.bounded import remember
from cargohold.metrics import CACHE_LOOKUPS

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ChangeAwareCache(Generic[K, V]):
    def __init__(
        self, marker: Callable[[], int], limit: int = 100_000, *, name: str = "other"
    ) -> None:
        """``name``: the cache's in the metrics (``cargohold_cache_lookups_total``)."""
        self._hits = CACHE_LOOKUPS.labels(name, "hit")
        self._misses = CACHE_LOOKUPS.labels(name, "miss")
        self._marker = marker
        self._limit = limit
        self._seen = -1
        self._data: dict[K, V] = {}

    def _current(self) -> int:
        generation = self._marker()
        if generation != self._seen:
            self._data.clear()
            self._seen = generation
        return generation

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        generation = self._current()
        try:
            value = self._data[key]
        except KeyError:
            pass
        else:
            self._hits.value += 1
            return value
        self._misses.value += 1
        value = await load()
        # Keep the value only if nothing was written while it was loaded.
        if self._current() == generation:
            remember(self._data, key, value, self._limit)
        return value


class ContentCache(Generic[K, V]):
    """A least-recently-used map bounded by the total size of its values."""

    def __init__(self, max_bytes: int, size_of: Callable[[V], int], *, name: str = "other") -> None:
        self._hits = CACHE_LOOKUPS.labels(name, "hit")
        self._misses = CACHE_LOOKUPS.labels(name, "miss")
        self._max = max_bytes
        self._size_of = size_of
        self._used = 0
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._hits.value += 1
            self._data.move_to_end(key)
        else:
            self._misses.value += 1
        return value

    def put(self, key: K, value: V) -> None:
        size = self._size_of(value)
        if size > self._max or key in self._data:
            return
        self._data[key] = value
        self._used += size
        while self._used > self._max:
            _, evicted = self._data.popitem(last=False)
            self._used -= self._size_of(evicted)


__all__ = ["ChangeAwareCache", "ContentCache"]
