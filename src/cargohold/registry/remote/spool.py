"""An object on its way in from an upstream, as one process sees it: the spool file its bytes
arrive in (written by the process that fetches it, perhaps this one), how many of them are
there, their total once known, and how the fetch ended. Every reader of the process waits on
one condition, woken by the fetch (in the fetching process) or by the one watcher of the
process (elsewhere on the machine): no reader polls.

A reader is given bytes as they arrive, except the object's last byte, which waits until the
whole object was verified against its digest: a client whose download would otherwise look
complete sees it cut instead when the upstream sent something else.

A reader close behind the fetch reads the spool on the event loop (the bytes were just
written: a copy from the page cache), one further behind in a thread.

A process that cannot open the spool (it is on another node) reads the bytes from the blob
store once the fetch has stored them.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from anyio import to_thread

from cargohold.core.digest import Digest, Hasher
from cargohold.core.errors import (
    BlobNotFound,
    RegistryError,
    StorageFull,
    StorageUnavailable,
    UpstreamUnavailable,
)
from cargohold.storage.base import STREAM_CHUNK, BlobReader

SUFFIX = ".part"
WAKE_BYTES = 1024 * 1024
WAKE_SECONDS = 0.02
HOT_BYTES = 32 * 1024 * 1024  # a reader this close behind the writer reads on the event loop


class Spool:
    def __init__(self, digest: Digest) -> None:
        self.digest = digest
        self.path: Path | None = None
        self.size: int | None = None  # the whole object's, once known
        self.available = 0  # bytes in the spool file
        self.stored = False  # verified and in the blob store: every byte may be read
        self.was_stored = False  # in the blob store before anyone asked: nothing to fetch
        self.error: RegistryError | None = None
        self._fd: int | None = None
        self._retired: list[int] = []  # descriptors of spools left for a newer one
        self._readers = 0
        self._changed = asyncio.Condition()
        self._woken_at = 0  # ``available`` when readers were last woken
        self._later: asyncio.TimerHandle | None = None  # a wake to come for bytes since
        self._waking: set[asyncio.Task[None]] = set()

    # --- the fetch's side --------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.stored or self.was_stored or self.error is not None

    def attach(self, path: Path | None) -> None:
        """Read from ``path`` from now on (a fetch starting, or started over by another
        process): its bytes count from zero again. None, or a file this process cannot
        open: read from the store once the fetch ends."""
        if self._fd is not None:
            self._retired.append(self._fd)
            self._fd = None
        self.path = path
        self.available = self._woken_at = 0
        if path is not None:
            with contextlib.suppress(OSError):
                self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    @property
    def readable_here(self) -> bool:
        return self._fd is not None

    def spool_size(self) -> int | None:
        """The bytes in the spool file now (what a watcher polls)."""
        if self._fd is None:
            return None
        try:
            return os.fstat(self._fd).st_size
        except OSError:
            return None

    async def advance(self, available: int | None = None, size: int | None = None) -> None:
        """More bytes are in the spool, or the size became known. Readers are woken at
        once for the first bytes, a new size, every ``WAKE_BYTES`` and the last byte; other
        bytes within ``WAKE_SECONDS``: a crowd of readers is not woken for every piece."""
        wake = False
        if size is not None and size != self.size:
            self.size, wake = size, True
        if available is not None and available > self.available:
            self.available = available
            wake = wake or (
                self._woken_at == 0
                or self.available - self._woken_at >= WAKE_BYTES
                or (self.size is not None and self.available >= self.size)
            )
            if not wake and self._later is None:
                loop = asyncio.get_running_loop()
                self._later = loop.call_later(WAKE_SECONDS, self._wake_later)
        if wake:
            await self._wake()

    def _wake_later(self) -> None:
        self._later = None
        task = asyncio.get_running_loop().create_task(self._wake())
        self._waking.add(task)
        task.add_done_callback(self._waking.discard)

    async def finish(self, *, size: int | None = None, error: RegistryError | None = None) -> None:
        """The fetch ended: stored with ``size`` bytes, or failed with ``error``."""
        if error is None:
            self.stored = True
            if size is not None:
                self.size = size
        else:
            self.error = error
        await self._wake()
        self._close_if_idle()

    async def already_stored(self) -> None:
        self.was_stored = True
        await self._wake()
        self._close_if_idle()

    async def _wake(self) -> None:
        self._woken_at = self.available
        if self._later is not None:
            self._later.cancel()
            self._later = None
        async with self._changed:
            self._changed.notify_all()

    # --- the readers' side ---------------------------------------------------------------

    async def started(self) -> None:
        """Wait until the size is known, the first bytes arrived or the fetch ended; raise
        its error if it failed before that."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.size is not None or self.available > 0 or self.ended
            )
        if self.error is not None and not self.stored and self.available == 0:
            raise _again(self.error)

    async def outcome(self) -> int:
        """Wait for the end of the fetch: the size stored, or its error."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.ended)
        if self.error is not None:
            raise _again(self.error)
        if self.size is None:
            raise UpstreamUnavailable(f"blob {self.digest} was fetched but its size is unknown")
        return self.size

    async def read(
        self, store: BlobReader, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """``length`` bytes (all when None) from ``offset``, as they arrive."""
        end = None if length is None else offset + length
        position = offset
        self._readers += 1
        try:
            while end is None or position < end:
                await self._wait_ready(position)
                if self.error is not None:
                    raise _again(self.error)
                total = end if end is not None else self.size
                if self.stored and total is not None and position >= total:
                    return
                if self.stored and self._fd is None:
                    async for chunk in _from_store(store, self.digest, position, end):
                        yield chunk
                    return
                limit = self._readable()
                if end is not None:
                    limit = min(limit, end)
                while position < limit:
                    chunk = await self._pread(position, min(STREAM_CHUNK, limit - position))
                    if not chunk:
                        break  # the fetch started over in another file: wait for it
                    position += len(chunk)
                    yield chunk
                else:
                    continue
                if self.stored:  # the spool this process had is not the whole object
                    async for chunk in _from_store(store, self.digest, position, end):
                        yield chunk
                    return
        finally:
            self._readers -= 1
            self._close_if_idle()

    def _readable(self) -> int:
        """The bytes a reader may have: all that arrived, but the last one before the whole
        was verified."""
        if self.stored:
            return self.available if self.size is None else max(self.available, self.size)
        return max(self.available - 1, 0)

    async def _wait_ready(self, position: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._ready(position))

    def _ready(self, position: int) -> bool:
        if self.error is not None or self.stored:
            return True
        return self._fd is not None and self._readable() > position

    async def _pread(self, position: int, count: int) -> bytes:
        fd = self._fd
        if fd is None:
            return b""
        if self.available - position <= HOT_BYTES:
            # Bytes written a moment ago, in the page cache: a copy, cheaper here than the
            # hop to a thread (which a crowd of readers would queue up for).
            return os.pread(fd, count, position)
        return await to_thread.run_sync(os.pread, fd, count, position)

    def _close_if_idle(self) -> None:
        if not self.ended or self._readers:
            return
        for fd in [*self._retired, *([] if self._fd is None else [self._fd])]:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._retired.clear()
        self._fd = None


async def _from_store(
    store: BlobReader, digest: Digest, offset: int, end: int | None
) -> AsyncIterator[bytes]:
    try:
        async for chunk in store.read(digest, offset, None if end is None else end - offset):
            yield chunk
    except BlobNotFound as exc:
        raise UpstreamUnavailable(
            f"blob {digest} was fetched from the upstream, then removed from storage; retry"
        ) from exc


def _again(error: RegistryError) -> RegistryError:
    """A fresh exception of the fetch's error for each reader that raises it (one instance
    raised in many tasks would mix their tracebacks)."""
    try:
        again = type(error)(error.message, error.detail)
    except TypeError:
        again = UpstreamUnavailable(error.message, error.detail)
    again.__cause__ = error.__cause__
    return again


# --- the spool file itself ---------------------------------------------------------------


def create(directory: Path) -> tuple[Path, int]:
    """A new, empty spool file in ``directory`` (made if missing), open for writing."""
    with disk_errors():
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{uuid.uuid4().hex}{SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    return path, fd


def write(fd: int, data: bytes, hasher: Hasher) -> None:
    """Append ``data`` to the spool and to the running digest (off the event loop)."""
    with disk_errors():
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    hasher.update(data)


async def stream(path: Path) -> AsyncIterator[bytes]:
    """The spool's bytes, a piece at a time (what the blob store's upload reads)."""
    handle = await to_thread.run_sync(open, path, "rb")
    try:
        while chunk := await to_thread.run_sync(handle.read, 4 * STREAM_CHUNK):
            yield chunk
    finally:
        await to_thread.run_sync(handle.close)


def remove(path: Path | str | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


def sweep(directory: Path, named: set[str], before: float) -> int:
    """Remove the spool files no fetch names that nobody wrote since ``before`` (left by a
    process that died); how many."""
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if not entry.name.endswith(SUFFIX) or entry.path in named:
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < before:
                os.unlink(entry.path)
                removed += 1
    return removed


@contextlib.contextmanager
def disk_errors() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(
                "the disk of the remote repositories' spool is full; nothing was stored. "
                "Free space on the data directory's disk, then retry"
            ) from exc
        raise StorageUnavailable(f"the spool of fetches from upstreams failed: {exc}") from exc


__all__ = ["SUFFIX", "Spool", "create", "remove", "stream", "sweep", "write"]
