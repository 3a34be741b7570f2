"""One upstream request per object, whatever the crowd, across the worker processes of every
node.

Asking for an object that is not stored joins its fetch in progress, or starts it. Of all the
processes that ask at once, the one that inserts the object's lease row (``remote_fetches``)
fetches it, in a task of its own that does not depend on the client that asked staying
connected. The bytes go to a spool file whose path the row names; every reader on the machine
reads that file while it grows (see ``spool.py``), so a client receives the bytes while they
arrive. A process of another node, which cannot open that file, waits for the end of the fetch
and reads the blob from the store.

The fetching process checks the size and the digest as the bytes arrive. A download cut in
the middle is asked again from where it stopped (twice at most); an upstream that starts over
from byte zero instead has the bytes already received read again and dropped. Once the whole
object verifies, the blob is claimed (so a garbage collection leaves it alone), stored through
the blob store's upload API (which verifies it again) and handed to the caller's ``stored``;
then the row goes and the spool file is unlinked (readers that hold it open read on). A
process that asks while the blob is stored but its row is still there (``stored`` is linking
or publishing it) follows the fetch to its end rather than taking the blob for another
repository's, which would be proved by asking the upstream again. A fetch
that fails stores nothing and removes its row: every waiting reader raises, and the next
request starts over.

The fetching process beats its rows every few seconds; a row not beaten for a while (its
process was killed) is taken over by the next process that asks, or by a process that follows
it. Each process also removes, once, the rows and spool files that dead processes left.

``once`` is the same lease for small objects fetched whole (manifests): one process does the
work, the others wait for its row to go, then read what it wrote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from anyio import CancelScope, to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import RegistryError, UpstreamUnavailable
from cargohold.meta.store import MetadataStore
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.remote import spool as spools
from cargohold.registry.remote.download import Download, OpenDownload, fetch, store_spool
from cargohold.registry.remote.spool import Spool
from cargohold.storage.base import BlobStore

log = logging.getLogger("cargohold.remote")

BEAT_SECONDS = 2.0  # how often a fetching process marks its rows alive
STALE_SECONDS = 15.0  # a row not beaten for this long belongs to a dead process
FILE_POLL_SECONDS = 0.02  # how often a process following a fetch looks at the spool's size
ROW_POLL_SECONDS = 0.25  # ... and at the row (to learn the size, the end, a takeover)
GROWING_POLL_SECONDS = 1.0  # ... while the spool it reads grows towards a known size
END_POLL_SECONDS = 0.05  # ... once every byte is in, waiting for the verdict
ONCE_POLL_SECONDS = 0.05  # how often ``once`` looks whether the holder is done
ROUNDS = 3  # joins in a row that find a fetch ended in failure before this one could follow

Stored = Callable[[int], Awaitable[None]]


class Incoming:
    """A blob on its way in (or just stored)."""

    def __init__(self, spool: Spool, store: BlobStore) -> None:
        self._spool = spool
        self._store = store

    @property
    def digest(self) -> Digest:
        return self._spool.digest

    @property
    def size(self) -> int | None:
        """The whole blob's size, when the upstream said (else once it is in)."""
        return self._spool.size

    def chunks(self, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """``length`` bytes (all when None) from ``offset``, as they arrive; raises
        UpstreamUnavailable (or the error the upstream answered with) when the fetch fails
        before them. The blob's last byte comes once the whole blob was verified."""
        return self._spool.read(self._store, offset, length)

    async def stored(self) -> int:
        """Wait until the blob is in the store; its size. Raises what the fetch failed with.
        (Only the fetching process calls ``stored`` of ``Flights.blob``: a caller that
        followed another process's fetch links the blob itself after this.)"""
        return await self._spool.outcome()


class Flights:
    def __init__(
        self,
        meta: MetadataStore,
        store: BlobStore,
        claims: BlobClaims,
        spool_dir: Path,
        clock: Callable[[], float],
        owner: str,
        *,
        beat_seconds: float = BEAT_SECONDS,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        """``owner`` names this process among all (host, pid and something random);
        ``clock`` is Unix time (rows are compared between processes and nodes)."""
        self._meta = meta
        self._store = store
        self._claims = claims
        self._spool_dir = spool_dir
        self._clock = clock
        self._owner = owner
        self._beat_seconds = beat_seconds
        self._stale_seconds = stale_seconds
        self._spools: dict[str, Spool] = {}
        self._once: dict[str, asyncio.Future[RegistryError | None]] = {}
        self._held: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._beating: asyncio.Task[None] | None = None
        self._swept = False

    # --- blobs ----------------------------------------------------------------------------

    async def blob(
        self, key: str, digest: Digest, open_download: OpenDownload, stored: Stored
    ) -> Incoming | None:
        """None when the blob is in the store; else the blob on its way in, once its size is
        known or its first bytes arrived. Raises what the fetch failed with before that
        (UpstreamUnavailable, or the RegistryError ``open_download`` raised)."""
        self._sweep_once()
        spool = self._spools.get(key)
        if spool is None:
            spool = Spool(digest)
            self._spools[key] = spool
            self._spawn(self._run(key, spool, open_download, stored))
        await spool.started()
        if spool.was_stored or (spool.stored and spool.available == 0):
            return None
        return Incoming(spool, self._store)

    async def _run(
        self, key: str, spool: Spool, open_download: OpenDownload, stored: Stored
    ) -> None:
        try:
            for _ in range(ROUNDS):
                if await self._store.size(spool.digest) is not None and not await self._live(key):
                    await spool.already_stored()
                    return
                path, fd = await to_thread.run_sync(spools.create, self._spool_dir)
                try:
                    leading = await self._lead(key, str(path))
                except BaseException:
                    os.close(fd)
                    spools.remove(path)
                    raise
                if leading:
                    if await self._store.size(spool.digest) is not None:
                        # Stored by a fetch that ended between the look above and the lease.
                        os.close(fd)
                        await self._release(key)
                        spools.remove(path)
                        await spool.already_stored()
                        return
                    await self._fetch(key, spool, path, fd, open_download, stored)
                    return
                os.close(fd)
                spools.remove(path)
                if await self._follow(key, spool):
                    return
            raise UpstreamUnavailable(
                f"blob {spool.digest} could not be fetched: every fetch of it ended in failure "
                "as this one joined; retry"
            )
        except asyncio.CancelledError:
            await _finish(spool, UpstreamUnavailable("the server stopped while fetching"))
            raise
        except RegistryError as exc:
            await _finish(spool, exc)
        except Exception as exc:
            log.exception("fetch of %s failed", key)
            await _finish(spool, UpstreamUnavailable(f"fetching blob {spool.digest} failed: {exc}"))
        finally:
            if self._spools.get(key) is spool:
                del self._spools[key]

    async def _fetch(
        self,
        key: str,
        spool: Spool,
        path: Path,
        fd: int,
        open_download: OpenDownload,
        stored: Stored,
    ) -> None:
        """Download into the spool, verify, store: the leader's part."""
        self._hold(key)
        spool.attach(path)
        try:

            async def announce(size: int) -> None:
                await spool.advance(size=size)
                await to_thread.run_sync(self._meta.fetches.set_size, key, self._owner, size)

            size = await fetch(spool, fd, open_download, announce)
            await self._claims.claim(spool.digest)
            await store_spool(self._store, spool.digest, path, size)
            await stored(size)
        finally:
            with CancelScope(shield=True):
                os.close(fd)
                await self._release(key)
                spools.remove(path)
        await spool.finish(size=size)  # the row is gone: every process finds the blob stored

    async def _live(self, key: str) -> bool:
        """Whether a live process fetches ``key``: one that stored the blob and is still
        finishing (its ``stored``) is followed to its end, so the caller finds its work done."""
        row = await to_thread.run_sync(self._meta.fetches.get, key)
        return row is not None and row.beat_at >= self._clock() - self._stale_seconds

    async def _follow(self, key: str, spool: Spool) -> bool:
        """Follow another process's fetch until it ends; False when its row went stale (the
        caller takes it over) or ended before this process could look (the caller leads)."""
        row = await to_thread.run_sync(self._meta.fetches.get, key)
        if row is None:
            return False
        spool.attach(None if row.spool is None else Path(row.spool))
        await spool.advance(size=row.size)
        following = (row.owner, row.spool)
        next_row = time.monotonic() + ROW_POLL_SECONDS
        while True:
            available = spool.spool_size()
            if available and spool.available == 0 and spool.size is None:
                # The fetch records the size before its first byte: learn it before the
                # readers that wait for bytes are woken, so they can announce it.
                row = await to_thread.run_sync(self._meta.fetches.get, key)
                if row is None:
                    break
                await spool.advance(size=row.size)
            await spool.advance(available=available)
            if time.monotonic() >= next_row:
                row = await to_thread.run_sync(self._meta.fetches.get, key)
                if row is None:
                    break
                if row.beat_at < self._clock() - self._stale_seconds:
                    return False
                if (row.owner, row.spool) != following:  # taken over: started again
                    spool.attach(None if row.spool is None else Path(row.spool))
                    following = (row.owner, row.spool)
                await spool.advance(size=row.size)
                next_row = time.monotonic() + _row_poll(spool)
            if spool.readable_here:
                await asyncio.sleep(FILE_POLL_SECONDS)
            else:
                await asyncio.sleep(max(next_row - time.monotonic(), 0.0))
        size = await self._store.size(spool.digest)
        if size is None:
            await _finish(
                spool,
                UpstreamUnavailable(
                    f"fetching blob {spool.digest} from the upstream failed (in another "
                    "process); retry"
                ),
            )
        else:
            await spool.finish(size=size)
        return True

    # --- small objects, fetched whole -----------------------------------------------------

    async def once(self, key: str, work: Callable[[], Awaitable[None]], wait: float) -> bool:
        """Run ``work`` if this process holds ``key`` first (its exceptions propagate): True.
        Else wait, ``wait`` seconds at most, until the holder is done: False (read what it
        wrote). A holder in this process that failed with a RegistryError fails its waiters
        with it too; one in another process cannot say, so its waiters find nothing written
        and may ask again."""
        self._sweep_once()
        pending = self._once.get(key)
        if pending is not None:
            try:
                failure = await asyncio.wait_for(asyncio.shield(pending), wait)
            except TimeoutError:
                return False
            if failure is not None:
                raise failure
            return False
        done: asyncio.Future[RegistryError | None] = asyncio.get_running_loop().create_future()
        self._once[key] = done
        failure = None
        try:
            return await self._once_across(key, work, wait)
        except RegistryError as exc:
            failure = exc
            raise
        finally:
            del self._once[key]
            done.set_result(failure)

    async def _once_across(
        self, key: str, work: Callable[[], Awaitable[None]], wait: float
    ) -> bool:
        deadline = time.monotonic() + wait
        while True:
            if await self._lead(key, None):
                self._hold(key)
                try:
                    await work()
                finally:
                    with CancelScope(shield=True):
                        await self._release(key)
                return True
            while True:  # another process holds it: until it is done, or dead
                if time.monotonic() >= deadline:
                    return False
                await asyncio.sleep(ONCE_POLL_SECONDS)
                row = await to_thread.run_sync(self._meta.fetches.get, key)
                if row is None:
                    return False
                if row.beat_at < self._clock() - self._stale_seconds:
                    break  # its holder died: do the work here

    # --- leases ---------------------------------------------------------------------------

    async def _lead(self, key: str, spool: str | None) -> bool:
        now = self._clock()
        lead = await to_thread.run_sync(
            self._meta.fetches.lead, key, self._owner, spool, now, now - self._stale_seconds
        )
        if lead.stale_spool is not None:
            self._remove_spool(lead.stale_spool)
        return lead.won

    async def _release(self, key: str) -> None:
        self._held.discard(key)
        try:
            await to_thread.run_sync(self._meta.fetches.release, key, self._owner)
        except Exception:  # it goes stale and is taken over
            log.warning("could not remove the lease of fetch %s", key, exc_info=True)

    def _remove_spool(self, path: str) -> None:
        """Remove a spool file a dead holder left, if it is on this machine's spool."""
        if Path(path).parent == self._spool_dir:
            spools.remove(path)

    def _hold(self, key: str) -> None:
        self._held.add(key)
        if self._beating is None or self._beating.done():
            self._beating = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        while self._held:
            await asyncio.sleep(self._beat_seconds)
            held = set(self._held)
            if not held:
                return
            try:
                kept = await to_thread.run_sync(
                    self._meta.fetches.beat, self._owner, held, self._clock()
                )
            except Exception:  # beat again next time
                log.warning("could not mark fetches in progress alive", exc_info=True)
                continue
            for key in held - kept - (held - self._held):
                log.warning("fetch %s was taken over by another process", key)

    # --- housekeeping ---------------------------------------------------------------------

    def _sweep_once(self) -> None:
        if not self._swept:
            self._swept = True
            self._spawn(self._sweep())

    async def _sweep(self) -> None:
        """Remove the rows and spool files of processes that died (once per process)."""
        before = self._clock() - self._stale_seconds
        try:
            for path in await to_thread.run_sync(self._meta.fetches.forget_stale, before):
                self._remove_spool(path)
            named = await to_thread.run_sync(self._meta.fetches.spools)
            await to_thread.run_sync(spools.sweep, self._spool_dir, named, before)
        except Exception:  # the next process start sweeps again
            log.warning("could not remove what stopped fetches left", exc_info=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Stop every fetch this process runs (their readers raise UpstreamUnavailable, their
        rows and spool files go)."""
        tasks = [*self._tasks, *([self._beating] if self._beating is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _row_poll(spool: Spool) -> float:
    """How long a follower waits before it looks at the row again."""
    if spool.size is None or not spool.readable_here:
        return ROW_POLL_SECONDS
    return END_POLL_SECONDS if spool.available >= spool.size else GROWING_POLL_SECONDS


async def _finish(spool: Spool, error: RegistryError) -> None:
    if not spool.ended:
        await spool.finish(error=error)


__all__ = [
    "BEAT_SECONDS",
    "STALE_SECONDS",
    "Download",
    "Flights",
    "Incoming",
    "OpenDownload",
    "Stored",
]
