"""The caller's side of a fetch, for the flights contract: an "upstream" that is nothing but
the download a caller hands over (an async generator the test paces, cuts and counts), and
the work of one worker process pulling a blob (run in child processes)."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from cargohold.core.digest import Digest
from cargohold.core.errors import UpstreamUnavailable
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.remote.flight import Download, Flights
from cargohold.storage import FilesystemBlobStore

PIECE = 64 * 1024


class Upstream:
    """Serves ``data`` in pieces. ``cuts``: offsets at which an answer breaks (one per
    answer, in order); ``ranges``: whether a resumed request is answered from its offset (or
    from byte zero); ``hold``: awaited after the first piece of each answer."""

    def __init__(
        self,
        data: bytes,
        *,
        cuts: tuple[int, ...] = (),
        ranges: bool = True,
        size_known: bool = True,
        hold: Callable[[], Awaitable[object]] | None = None,
        counter: Path | None = None,
    ) -> None:
        self.data = data
        self.cuts = list(cuts)
        self.ranges = ranges
        self.size_known = size_known
        self.hold = hold
        self.counter = counter
        self.opened: list[int] = []  # the offset of each request
        self.finished = False  # the last piece was sent

    def open(self, offset: int) -> AbstractAsyncContextManager[Download]:
        @asynccontextmanager
        async def opening() -> AsyncIterator[Download]:
            self.opened.append(offset)
            if self.counter is not None:
                await asyncio.to_thread(tick, self.counter)
            start = offset if self.ranges else 0
            size = len(self.data) if self.size_known else None
            cut = self.cuts.pop(0) if self.cuts else None
            yield Download(start, size, self._chunks(start, cut))

        return opening()

    async def _chunks(self, start: int, cut: int | None) -> AsyncIterator[bytes]:
        position = start
        while position < len(self.data):
            if cut is not None and position >= cut:
                raise UpstreamUnavailable("connection reset by the upstream")
            piece = self.data[position : position + PIECE]
            position += len(piece)
            if position == len(self.data):
                self.finished = True
            yield piece
            if self.hold is not None and position == start + len(piece):
                await self.hold()
            await asyncio.sleep(0)


def content(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def tick(path: Path) -> None:
    """Add one to the count kept in ``path`` (its size), from any process."""
    with open(path, "ab") as handle:
        handle.write(b".")


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for ``condition``, a few milliseconds at a time, ``seconds`` at most."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.005)


def linker(meta: MetadataStore, digest: Digest, sizes: list[int]) -> Callable[[int], Any]:
    """The caller's ``stored``: link the blob into the remote repository's image."""

    async def stored(size: int) -> None:
        sizes.append(size)
        await asyncio.to_thread(meta.blobs.link, "hub", "library/alpine", str(digest), size)

    return stored


# --- one worker process -------------------------------------------------------------------


def pull_in_child(
    url: str, data_dir: str, number: int, size: int, processes: int, results: Any
) -> None:
    """A worker process asking for the blob at the same time as the others; puts the sha256
    of what it received (or its error) in ``results``."""
    try:
        results.put((number, asyncio.run(_pull(url, Path(data_dir), number, size, processes))))
    except BaseException as exc:  # the parent reports it
        results.put((number, f"error: {exc!r}"))


async def _pull(url: str, data_dir: Path, number: int, size: int, processes: int) -> str:
    meta = open_metadata_store(url, run_migrations=False)
    try:
        return await pull(meta, data_dir, f"process-{number}", size, processes)
    finally:
        meta.close()


async def pull(meta: MetadataStore, data_dir: Path, owner: str, size: int, processes: int) -> str:
    """Ask for the blob once every process is ready, as ``owner``; the sha256 of what came."""
    store = FilesystemBlobStore(data_dir / "blobs")
    claims = BlobClaims(store, meta, time.time)
    flights = Flights(meta, store, claims, data_dir / "spool", time.time, owner)
    arrived = data_dir / "arrived"
    start = data_dir / "start"

    async def hold() -> None:
        # The fetching process sends the rest only once every process has the blob on its
        # way in: none of them can have waited for the whole download.
        await until(lambda: arrived.exists() and arrived.stat().st_size >= processes)

    data = content(size)
    digest = Digest.of(data)
    upstream = Upstream(data, hold=hold, counter=data_dir / "opened")
    try:
        await asyncio.to_thread(tick, data_dir / "ready")
        await until(start.exists, 30)  # every process asks at once
        incoming = await flights.blob("blob:" + str(digest), digest, upstream.open, _ignore)
        await asyncio.to_thread(tick, arrived)
        if incoming is None:
            return "already stored"
        hasher = hashlib.sha256()
        async for chunk in incoming.chunks():
            hasher.update(chunk)
        await incoming.stored()
        return hasher.hexdigest()
    finally:
        await flights.aclose()


async def _ignore(size: int) -> None:
    pass
