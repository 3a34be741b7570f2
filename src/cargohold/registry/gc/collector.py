"""One collection: referrers whose subject is gone, then blobs nothing holds, then stored
bytes no row records; each in bounded pages, while clients go on pushing and pulling.

A dry run counts what a real run would delete now, and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import anyio
from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.meta.store import MetadataStore
from cargohold.records.gc import Collectable, GcReport
from cargohold.registry.gc.claims import STALE_SECONDS
from cargohold.storage.base import BlobStore, StoredBlob

PAGE = 500
DELETES_AT_ONCE = 16  # an object store answers each delete in a round trip


class Counts:
    def __init__(self) -> None:
        self.blobs = 0
        self.bytes = 0
        self.manifests = 0
        self.unrecorded = 0
        self.left = 0

    def add(self, blobs: Sequence[Collectable]) -> None:
        self.blobs += len(blobs)
        self.bytes += sum(blob.size for blob in blobs)


class Collector:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        clock: Callable[[], float],
        grace: float,
    ) -> None:
        self._store = store
        self._meta = meta
        self._clock = clock
        self.grace = grace

    async def run(self, dry_run: bool = False) -> GcReport:
        started, began = self._clock(), time.monotonic()
        cutoff = started - self.grace
        counts = Counts()
        await self._referrers(cutoff, dry_run, counts)
        if not dry_run:
            await self._stale(counts)
        await self._unheld(cutoff, dry_run, counts)
        await self._unrecorded(cutoff, dry_run, counts)
        return GcReport(
            dry_run=dry_run,
            started_at=started,
            duration=time.monotonic() - began,
            grace=self.grace,
            blobs=counts.blobs,
            bytes=counts.bytes,
            manifests=counts.manifests,
            unrecorded=counts.unrecorded,
            left=counts.left,
        )

    async def _referrers(self, cutoff: float, dry_run: bool, counts: Counts) -> None:
        """Referrers (signatures, SBOMs) whose subject was deleted, and theirs in turn."""
        gc = self._meta.gc
        while keys := await to_thread.run_sync(gc.orphaned_referrers, cutoff, PAGE):
            if dry_run:
                counts.manifests += len(keys)
                return
            removed = await to_thread.run_sync(gc.remove_orphaned, keys, cutoff, self._clock())
            counts.manifests += removed
            if removed == 0:
                return

    async def _stale(self, counts: Counts) -> None:
        """Finish the deletions a collection that stopped half-way left marked."""
        gc = self._meta.gc
        while True:
            now = self._clock()
            page = await to_thread.run_sync(gc.take_over_stale, now - STALE_SECONDS, now, PAGE)
            if not page:
                return
            await self._delete(page, now, counts)

    async def _unheld(self, cutoff: float, dry_run: bool, counts: Counts) -> None:
        gc = self._meta.gc
        after = ""
        while page := await to_thread.run_sync(gc.collectable, cutoff, after, PAGE):
            after = page[-1].digest
            if dry_run:
                counts.add(page)
                continue
            now = self._clock()
            marked = await to_thread.run_sync(gc.mark, [b.digest for b in page], cutoff, now)
            await self._delete(marked, now, counts)

    async def _unrecorded(self, cutoff: float, dry_run: bool, counts: Counts) -> None:
        """Bytes in storage that no row records (a crash between storing them and
        recording them), once older than the grace period."""
        batch: list[StoredBlob] = []
        async for blob in self._store.stored():
            if blob.modified < cutoff:
                batch.append(blob)
            if len(batch) >= PAGE:
                await self._unrecorded_page(batch, dry_run, counts)
                batch = []
        await self._unrecorded_page(batch, dry_run, counts)

    async def _unrecorded_page(
        self, batch: list[StoredBlob], dry_run: bool, counts: Counts
    ) -> None:
        if not batch:
            return
        gc = self._meta.gc
        unknown = set(await to_thread.run_sync(gc.unrecorded, [str(b.digest) for b in batch]))
        found = [Collectable(str(b.digest), b.size) for b in batch if str(b.digest) in unknown]
        if dry_run:
            counts.add(found)
            counts.unrecorded += len(found)
            return
        now = self._clock()
        marked = await to_thread.run_sync(gc.mark_unrecorded, found, now)
        counts.unrecorded += await self._delete(marked, now, counts)

    async def _delete(self, marked: list[Collectable], since: float, counts: Counts) -> int:
        """Delete the bytes of blobs marked at ``since``, then their rows; how many. A page
        that took too long to reach (the collector was paused) is left to a later run, as
        a writer may have taken it over meanwhile."""
        if not marked:
            return 0
        if self._clock() - since > STALE_SECONDS / 2:
            counts.left += len(marked)
            return 0
        limiter = anyio.CapacityLimiter(DELETES_AT_ONCE)

        async def delete(blob: Collectable) -> None:
            async with limiter:
                await self._store.delete(Digest.parse(blob.digest))

        async with anyio.create_task_group() as group:
            for blob in marked:
                group.start_soon(delete, blob)
        await to_thread.run_sync(self._meta.gc.forget, [blob.digest for blob in marked])
        counts.add(marked)
        return len(marked)


__all__ = ["PAGE", "Collector"]
