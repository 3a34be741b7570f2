"""One lock per key, kept only while somebody holds or waits for it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio


class KeyedLocks:
    """Requests for one upload on one node take turns (as the filesystem store's file lock
    makes them); across nodes the conditional writes of the upload's state do that job."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = anyio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


__all__ = ["KeyedLocks"]
