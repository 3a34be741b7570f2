"""Files to the socket with ``sendfile``, in pieces, so that a client that stops reading is
noticed: the kernel copies each piece, and between pieces the server sees the progress.

A transport the kernel cannot send a file to (TLS: the bytes must be encrypted in this
process) gets the same pieces read on a worker thread and written, at most ``COPY_PIECE``
at a time so that a download holds little memory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import BinaryIO

MIN_PIECE = 64 * 1024
FIRST_PIECE = 1024 * 1024
MAX_PIECE = 4 * 1024 * 1024  # each piece is a loop.sendfile call, about 0.1 ms of CPU
COPY_PIECE = 256 * 1024


def next_piece(piece: int, took: float, limit: float) -> int:
    """The size of the next piece after one of ``piece`` bytes took ``took`` seconds: halved
    when it took more than an eighth of ``limit`` (the longest a piece may take), doubled
    when it took less than a sixty-fourth. A client that slows down gets smaller pieces long
    before a piece takes ``limit``; only one slower than ``MIN_PIECE`` per ``limit`` (about
    1 KiB/s at 60 s), or one that slows to less than its piece per ``limit`` within one piece
    (a fast client's pieces are ``MAX_PIECE``: 70 KB/s at 60 s), is given up."""
    if took > limit / 8:
        return max(MIN_PIECE, piece // 2)
    if took < limit / 64:
        return min(MAX_PIECE, piece * 2)
    return piece


class FileSender:
    """One connection's file sending. ``since`` is when the piece in flight began (None
    between pieces), for the sweep that drops a client taking no piece within the limit."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        limit: float,
        drain: Callable[[], Awaitable[None]],
        encrypted: bool = False,
    ) -> None:
        self._loop = loop
        self._limit = limit
        self._drain = drain  # waits while the transport holds too much unsent
        # the transport cannot take a file (TLS, where asyncio would copy through 16 KiB
        # reads on threads itself): read and write the pieces
        self._copy = encrypted
        self.piece = FIRST_PIECE  # kept from file to file on a keep-alive connection
        self.since: float | None = None

    async def send(
        self, transport: asyncio.Transport, handle: BinaryIO, offset: int, count: int
    ) -> int:
        """Send ``count`` bytes from ``offset``; fewer if the file is shorter."""
        sent = 0
        while sent < count:
            size = min(self.piece, count - sent)
            started = self.since = self._loop.time()
            try:
                done = await self._piece(transport, handle, offset + sent, size)
            finally:
                self.since = None
            sent += done
            if done < size:
                break  # the file is shorter than it was
            self.piece = next_piece(self.piece, self._loop.time() - started, self._limit)
        return sent

    async def _piece(
        self, transport: asyncio.Transport, handle: BinaryIO, offset: int, size: int
    ) -> int:
        if not self._copy:
            try:
                return await self._loop.sendfile(transport, handle, offset, size, fallback=False)
            except asyncio.SendfileNotAvailableError:
                self._copy = True  # and for the rest of this connection
        done = 0
        while done < size:
            if transport.is_closing():
                raise ConnectionResetError("the client closed the connection")
            wanted = min(size - done, COPY_PIECE)
            data = await self._loop.run_in_executor(
                None, os.pread, handle.fileno(), wanted, offset + done
            )
            if not data:
                break  # the file is shorter than it was
            transport.write(data)
            done += len(data)
            await self._drain()
        return done


__all__ = ["COPY_PIECE", "FIRST_PIECE", "MAX_PIECE", "MIN_PIECE", "FileSender", "next_piece"]
