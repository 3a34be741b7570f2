"""An upload that failed because the storage is full is discarded at once: its bytes are
what an operator frees space for, and a client told to start again never resumes it."""

from __future__ import annotations

import contextlib
import logging

from anyio import CancelScope, to_thread

from cargohold.core.errors import StorageFull, UploadNotFound
from cargohold.meta.store import MetadataStore
from cargohold.storage.base import BlobWriter

log = logging.getLogger("cargohold.housekeeping")


async def discard_upload(store: BlobWriter, meta: MetadataStore, upload_id: str) -> None:
    """Cancel the upload session, bytes first (that frees the space the metadata's own write
    may need), then its row. Runs to its end even when the request is cancelled."""
    with CancelScope(shield=True):
        with contextlib.suppress(UploadNotFound):
            await store.cancel(upload_id)
        try:
            await to_thread.run_sync(meta.blobs.end_upload, upload_id)
        except StorageFull as exc:
            # Its bytes are gone; the row goes with the next sweep of abandoned uploads.
            log.warning("upload %s discarded, its row stays for now: %s", upload_id, exc)


def discarded(exc: StorageFull, again: str) -> StorageFull:
    """The 507 a client sees: what is full, that the upload is gone, and what to do."""
    reason = exc.message.partition(";")[0]
    return StorageFull(
        f"{reason}: the upload was discarded and its bytes freed, so it cannot be resumed; {again}"
    )


__all__ = ["discard_upload", "discarded"]
