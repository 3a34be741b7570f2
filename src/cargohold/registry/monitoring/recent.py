"""A result shared while it is recent: what a burst of probes or scrapes reads once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from anyio import Lock

T = TypeVar("T")


class Recent(Generic[T]):
    """The result of ``load``, handed to every caller within ``max_age`` seconds of it;
    callers that arrive while it loads wait for that one load."""

    def __init__(
        self,
        load: Callable[[], Awaitable[T]],
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._max_age = max_age
        self._clock = clock
        self._lock = Lock()
        self._last: tuple[float, T] | None = None

    async def get(self) -> T:
        async with self._lock:
            if self._last is not None and self._clock() - self._last[0] < self._max_age:
                return self._last[1]
            value = await self._load()
            self._last = (self._clock(), value)
            return value


__all__ = ["Recent"]
