"""Abandoned uploads: sessions a client started and left, and stored upload bytes that no
session names any more (the repository was deleted while they were in progress and took the
sessions with it, or a node stopped between storing and recording). Both are cancelled, and
their bytes freed, once idle longer than the expiry.

An upload session whose row is old but whose bytes the store received recently is still in
progress (a very large, slow upload): it stays. The store says when each upload last
received bytes, by its own clock, which for an object store is not the server's; an expiry
of hours makes that difference moot.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.errors import UploadNotFound
from cargohold.meta.store import MetadataStore
from cargohold.registry.housekeeping.discard import discard_upload
from cargohold.storage.base import BlobWriter

MAX_PER_SWEEP = 10_000  # sessions a sweep cancels at most; the next one goes on


@dataclass(frozen=True, slots=True)
class UploadSweep:
    cancelled: int  # abandoned sessions, cancelled with their bytes
    unnamed: int  # stored uploads no session named, removed
    bytes_freed: int


class AbandonedUploads:
    def __init__(self, store: BlobWriter, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._meta = meta
        self._clock = clock

    async def sweep(self, expiry: float) -> UploadSweep:
        """Cancel what has been idle for longer than ``expiry`` seconds."""
        cutoff = self._clock() - expiry
        stored = {session.id: session async for session in self._store.list_uploads()}
        expired = await to_thread.run_sync(self._meta.uploads.started_before, cutoff, MAX_PER_SWEEP)
        cancelled = unnamed = freed = 0
        for upload_id in expired:
            session = stored.pop(upload_id, None)
            if session is not None and session.modified_at >= cutoff:
                continue  # still receiving bytes
            await discard_upload(self._store, self._meta, upload_id)
            cancelled += 1
            freed += 0 if session is None else session.size
        idle = [session for session in stored.values() if session.modified_at < cutoff]
        named = await to_thread.run_sync(self._meta.uploads.known, [s.id for s in idle])
        for session in idle:
            if session.id in named:
                continue
            with contextlib.suppress(UploadNotFound):
                await self._store.cancel(session.id)
                unnamed += 1
                freed += session.size
        return UploadSweep(cancelled, unnamed, freed)


__all__ = ["MAX_PER_SWEEP", "AbandonedUploads", "UploadSweep"]
