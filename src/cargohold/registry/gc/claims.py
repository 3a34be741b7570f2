"""A writer's claim on a blob, before it writes the bytes or counts on bytes stored already.

Claiming touches the blob's row (or makes one), so the collector leaves the blob alone for
its grace period. A blob the collector is deleting cannot be claimed: the writer waits until
the deletion is done (the collector deletes a page of blobs in about a second), then writes
the bytes again. A deletion a stopped collection left half-way (marked long ago) is finished
by the writer itself, so a crashed collector never blocks a push.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import StorageUnavailable
from cargohold.meta.store import MetadataStore
from cargohold.storage.base import BlobStore

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05
# A mark older than this belongs to a collection that stopped; the collector itself leaves
# a page it could not delete within half of it.
STALE_SECONDS = 600.0


class BlobClaims:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        clock: Callable[[], float],
        wait: float = WAIT_SECONDS,
    ) -> None:
        self._store = store
        self._meta = meta
        self._clock = clock
        self._wait = wait

    async def claim(self, digest: Digest) -> None:
        """Claim the blob; raises StorageUnavailable (retry) if a deletion outlasts the wait."""
        deadline = time.monotonic() + self._wait
        key = str(digest)
        while True:
            now = self._clock()
            since = await to_thread.run_sync(self._meta.blobs.claim, key, now)
            if since is None:
                return
            if now - since > STALE_SECONDS:
                if await to_thread.run_sync(self._meta.gc.take_over, key, since, now):
                    await self._store.delete(digest)
                    await to_thread.run_sync(self._meta.gc.forget, [key])
                continue
            if time.monotonic() > deadline:
                raise StorageUnavailable(
                    f"blob {digest} is being deleted by garbage collection; retry in a moment"
                )
            await anyio.sleep(POLL_SECONDS)


__all__ = ["STALE_SECONDS", "BlobClaims"]
