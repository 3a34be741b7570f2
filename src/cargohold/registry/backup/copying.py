"""Blobs moved and checked through the BlobStore interface, whatever the drivers: a copy is
an upload to the target store, which verifies the digest (and the size) before it publishes
the blob, so nothing corrupt is ever published under a digest."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import anyio
from anyio import to_thread

from cargohold.core.digest import Digest, new_hasher
from cargohold.core.errors import DigestMismatch, SizeMismatch, UploadNotFound
from cargohold.records.backup import RecordedBlob
from cargohold.storage.base import BlobReader, BlobWriter

PAGE = 500  # blobs read from the database at a time
AT_ONCE = 8  # blobs copied or checked at the same time (an object store's latency adds up)

Progress = Callable[[int, int], None]  # blobs done, bytes done


@dataclass(frozen=True, slots=True)
class Damage:
    """A blob that is not what its digest says: ``reason`` in a person's words."""

    digest: str
    reason: str

    def __str__(self) -> str:
        return f"{self.digest}: {self.reason}"


async def copy_blob(
    source: BlobReader, target: BlobWriter, digest: Digest, size: int | None
) -> int:
    """Copy one blob; its size. Raises BlobNotFound (not in ``source``), DigestMismatch or
    SizeMismatch (``source`` holds other bytes under that digest: nothing is published)."""
    upload = await target.start_upload()
    try:
        await target.append(upload, source.read(digest))
    except BaseException:
        with contextlib.suppress(UploadNotFound):
            await target.cancel(upload)
        raise
    return await target.commit(upload, digest, size)


def damage(digest: str, failure: DigestMismatch | SizeMismatch) -> Damage:
    if isinstance(failure, DigestMismatch):
        return Damage(digest, f"its bytes hash to {failure.actual}")
    return Damage(digest, str(failure))


async def check_blob(source: BlobReader, blob: RecordedBlob) -> Damage | None:
    """Read the blob and hash it: None when it is whole. Raises BlobNotFound."""
    digest = Digest.parse(blob.digest)
    hasher = new_hasher(digest.algorithm)
    size = 0
    async for chunk in source.read(digest):
        hasher.update(chunk)
        size += len(chunk)
    if hasher.hexdigest() != digest.hex:
        return Damage(blob.digest, f"its bytes hash to {digest.algorithm}:{hasher.hexdigest()}")
    if blob.held and size != blob.size:
        return Damage(blob.digest, f"{size} bytes, not the {blob.size} recorded")
    return None


async def each_page(
    fetch: Callable[[str, int], list[RecordedBlob]],
    work: Callable[[RecordedBlob], Awaitable[None]],
    progress: Callable[[], None] | None = None,
) -> None:
    """Run ``work`` on every blob ``fetch(after, limit)`` pages through in digest order,
    ``PAGE`` blobs a query and ``AT_ONCE`` at a time; ``progress()`` after each page."""
    after = ""
    while page := await to_thread.run_sync(fetch, after, PAGE):
        await each_at_once(page, work)
        after = page[-1].digest
        if progress is not None:
            progress()


async def each_at_once(
    blobs: Iterable[RecordedBlob], work: Callable[[RecordedBlob], Awaitable[None]]
) -> None:
    """Run ``work`` on every blob, ``AT_ONCE`` at a time."""
    limiter = anyio.CapacityLimiter(AT_ONCE)

    async def one(blob: RecordedBlob) -> None:
        async with limiter:
            await work(blob)

    async with anyio.create_task_group() as group:
        for blob in blobs:
            group.start_soon(one, blob)


__all__ = [
    "AT_ONCE",
    "PAGE",
    "Damage",
    "Progress",
    "check_blob",
    "copy_blob",
    "damage",
    "each_at_once",
    "each_page",
]
