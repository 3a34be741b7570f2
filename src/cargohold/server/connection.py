"""One HTTP/1.1 connection: parse requests (httptools), run an Exchange for each, in order.

Pipelined requests wait their turn; request bodies go to the running exchange as they arrive,
with reading paused while more than ``BODY_HIGH_WATER`` bytes wait. Trailer fields of chunked
bodies are parsed and dropped: they never become request headers. The worker's sweep calls
:meth:`HttpProtocol.check` to enforce the :class:`~cargohold.server.timeouts.Timeouts`: a slow
request head or body gets a 408, an idle connection is closed, a client that takes no byte of
its response is dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
from collections import deque
from typing import BinaryIO

import httptools

from cargohold.server.asgi import ASGIApp
from cargohold.server.exchange import BODY_HIGH_WATER, Exchange
from cargohold.server.head import (
    MAX_HEAD_BYTES,
    MAX_HEAD_RAW,
    TOO_LARGE,
    content_length,
    http_scope,
    refusal,
)
from cargohold.server.sendfile import FileSender
from cargohold.server.timeouts import Timeouts

LINGER_SECONDS = 2.0
log = logging.getLogger("cargohold.server")


class ServerState:
    """What a worker knows of its connections, for the sweep and a graceful shutdown."""

    def __init__(self) -> None:
        self.connections: set[HttpProtocol] = set()
        self.stopping = False
        self.answered = 0  # requests whose exchange ended, for the shutdown's count


class HttpProtocol(asyncio.Protocol):
    def __init__(
        self,
        app: ASGIApp,
        state: ServerState,
        server_address: tuple[str, int],
        timeouts: Timeouts,
        scheme: str = "http",
    ) -> None:
        self.app = app
        self.scheme = scheme
        self.state = state
        self.server_address = server_address
        self.timeouts = timeouts
        self.loop = asyncio.get_running_loop()
        self.files = FileSender(self.loop, timeouts.write, self.drain, scheme == "https")
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client: tuple[str, int] | None = None
        self.closed = False
        self.input_closed = False
        self.reading_paused = False
        self.writing_paused: asyncio.Future[None] | None = None
        self.current: Exchange | None = None
        self.parsing: Exchange | None = None
        self.queue: deque[Exchange] = deque()
        # the clocks the sweep reads (loop time); None when not running
        self.head_since: float | None = None  # waiting for a request head to complete
        self.idle_since: float | None = None  # between requests
        self.write_paused_since: float | None = None  # the client is not taking the response
        self.closed_since: float | None = None  # closing, what was written still going out
        self.last_read = 0.0
        self._head_started = False  # a byte of the next request head has arrived
        self.linger_timer: asyncio.TimerHandle | None = None
        self.pending_reject: tuple[bytes, bytes] | None = None
        self.lingering = False
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._head_raw = 0
        self._in_head = True
        self._in_trailers = False
        self._in_url = False  # the head passed its limit inside the request target: 414

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # asyncio sets this only on sockets made with proto IPPROTO_TCP, which an accepted
            # socket is not when its listener was made with proto 0 (as bind() makes it).
            # Without it, a small file sent after its head waits for the client's delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        self.state.connections.add(self)
        self.head_since = self.last_read = self.loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.state.connections.discard(self)
        for exchange in self._exchanges():
            exchange.end()
        if self.writing_paused is not None and not self.writing_paused.done():
            self.writing_paused.set_result(None)
        if self.linger_timer is not None:
            self.linger_timer.cancel()

    def eof_received(self) -> bool | None:
        """The client will send nothing more; answer what it asked, then close."""
        self.input_closed = True
        for exchange in self._exchanges():
            exchange.keep_alive = False
            exchange.wake()
        if self.current is None and not self.queue:
            return None  # nothing to answer: let the transport close
        return True

    def data_received(self, data: bytes) -> None:
        self.last_read = self.loop.time()
        if self.lingering:
            return  # the rest of a body nobody will read
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # A request asking for another protocol (h2c, websocket): answer it over HTTP/1.1
            # and close; whatever follows it is not HTTP/1.1.
            last = self.queue[-1] if self.queue else self.current
            if last is not None:
                last.keep_alive = False
            self.pause_reading()
            return
        except httptools.HttpParserError as exc:
            self._reject(*refusal(exc, self._head_bytes, self._in_url))
            return
        if self._in_head:
            self._head_raw += len(data)
        if self._head_raw > MAX_HEAD_RAW:
            self._reject(*TOO_LARGE)

    def pause_writing(self) -> None:
        if self.write_paused_since is None:
            self.write_paused_since = self.loop.time()
        if self.writing_paused is None or self.writing_paused.done():
            self.writing_paused = self.loop.create_future()

    def resume_writing(self) -> None:
        self.write_paused_since = None
        if self.writing_paused is not None and not self.writing_paused.done():
            self.writing_paused.set_result(None)

    # --- httptools callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._head_started = True
        self.idle_since = None
        if self.head_since is None:
            self.head_since = self.loop.time()
        self._url = b""
        self._headers = []
        self._head_bytes = 0
        self._head_raw = 0
        self._in_head = True
        self._in_trailers = False

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._in_url = True
        self._count(len(url))
        self._in_url = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        if not self._in_trailers:
            self._headers.append((name.lower(), value))

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise ValueError("request head too large")

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_trailers = True
        self.head_since = None
        self._head_started = False
        scope = http_scope(
            self.parser, self._url, self._headers, self.server_address, self.client, self.scheme
        )
        exchange = Exchange(self, scope, self.parser.should_keep_alive())
        for name, value in self._headers:
            if name == b"content-length":
                exchange.declared = content_length(value)
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                exchange.expect_continue = not exchange.http10
        self.parsing = exchange
        if self.current is None and self.pending_reject is None:
            self._start(exchange)
        else:
            self.queue.append(exchange)
            self.pause_reading()

    def on_body(self, body: bytes) -> None:
        if self.parsing is not None:
            self.parsing.body(body)

    def on_message_complete(self) -> None:
        if self.parsing is not None:
            self.parsing.end_of_body()
            self.parsing = None
        self._in_head = True

    # --- exchanges ------------------------------------------------------------------------

    def _exchanges(self) -> list[Exchange]:
        found = [e for e in (self.current, self.parsing, *self.queue) if e is not None]
        return list(dict.fromkeys(found))

    def _start(self, exchange: Exchange) -> None:
        self.current = exchange
        # A fresh context: nothing one request set in a context variable leaks into the next.
        exchange.task = self.loop.create_task(exchange.run(self.app), context=contextvars.Context())

    def exchange_done(self, exchange: Exchange) -> None:
        self.current = None
        self.state.answered += 1
        if not exchange.complete:
            self.close()  # a response cut short cannot be framed
        if self.closed:
            return
        if not exchange.keep_alive or self.state.stopping:
            if exchange.body_complete or self.input_closed:
                self.close()
            else:
                self.linger()
            return
        if self.queue:
            self._start(self.queue.popleft())
        elif self.pending_reject is not None:
            status, message = self.pending_reject
            self._reject(status, message)
            return
        elif self._head_started:
            self.head_since = self.loop.time()  # part of the next head waited for this answer
        else:
            self.idle_since = self.loop.time()
        self.resume_reading()

    @property
    def stopping(self) -> bool:
        return self.state.stopping

    # --- output ---------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        if self.writing_paused is not None and not self.writing_paused.done():
            await self.writing_paused

    async def send_file(self, handle: BinaryIO, offset: int, count: int) -> int:
        """Send ``count`` bytes from ``offset`` with sendfile (fewer if the file is shorter)."""
        assert self.transport is not None
        if count <= 0:
            return 0
        try:
            return await self.files.send(self.transport, handle, offset, count)
        except (ConnectionError, RuntimeError) as exc:
            # The client went away mid-file (RuntimeError: the transport closed under us).
            self.close()
            raise ConnectionResetError("the client closed the connection") from exc

    # --- flow control, closing ------------------------------------------------------------

    def pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None and not self.closed:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        current = self.current
        if current is not None and current.buffered > BODY_HIGH_WATER:
            return
        if self.queue or self.pending_reject is not None:
            return
        if self.reading_paused and self.transport is not None and not self.closed:
            self.reading_paused = False
            self.last_read = self.loop.time()  # the client was not to blame while we waited
            self.transport.resume_reading()

    # --- timeouts -------------------------------------------------------------------------

    def check(self, now: float) -> None:
        """Called by the worker's sweep: give up on a client that kept us waiting too long."""
        limits = self.timeouts
        stalls = (self.write_paused_since, self.files.since, self.closed_since)
        stalled = min((since for since in stalls if since is not None), default=None)
        if stalled is not None and now - stalled > limits.write:
            self.drop()
            return
        if self.closed or self.lingering or self.reading_paused or self.pending_reject:
            return  # nothing to read now, or we are the ones not reading
        current = self.current
        if current is not None:
            since = current.waiting_since
            if since is not None and now - max(since, self.last_read) > limits.read:
                self._reject(
                    b"408 Request Timeout",
                    f"no byte of the request body for {limits.read:g} s".encode(),
                )
        elif self.queue:
            return
        elif self.head_since is not None and now - self.head_since > limits.read:
            if self._head_started:
                self._reject(
                    b"408 Request Timeout",
                    f"the request head did not arrive within {limits.read:g} s".encode(),
                )
            else:
                self.close()  # a connection that never asked for anything
        elif self.idle_since is not None and now - self.idle_since > limits.keep_alive:
            self.close()

    def drop(self) -> None:
        """The client takes no byte of its response: cut the connection."""
        if self.transport is None:
            return
        log.info("dropped %s: it took nothing for %g s", self.client, self.timeouts.write)
        current = self.current
        if current is not None and current.task is not None and self.files.since is not None:
            # A sendfile in flight must end before its socket is closed under it.
            current.task.cancel()
        self.abort()

    def is_idle(self) -> bool:
        return self.current is None and not self.queue

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.closed_since = self.loop.time()  # until what was written has gone out
            self.transport.close()

    def linger(self) -> None:
        """Close while the client may still be sending a body: end our side first and drop
        what arrives, so the client reads the response instead of a connection reset."""
        if self.transport is None or self.closed:
            return
        self.lingering = True
        if self.transport.can_write_eof():
            try:
                self.transport.write_eof()
            except OSError:  # the client is gone already
                self.close()
                return
        self.reading_paused = False
        self.transport.resume_reading()
        self.linger_timer = self.loop.call_later(LINGER_SECONDS, self.close)

    def abort(self) -> None:
        if self.transport is not None:
            self.closed = True
            self.transport.abort()

    def _reject(self, status: bytes, message: bytes) -> None:
        """Answer a request that cannot be parsed, after those before it, then close."""
        exchange = self.parsing
        if exchange is not None and not exchange.body_complete:
            # The body of a request is corrupt: the request is answered with the error
            # instead of by the application, unless the application has begun its answer.
            self.parsing = None
            if exchange is self.current:
                if exchange.head_written:
                    self.close()
                else:
                    self.pause_reading()
                    exchange.reject(status, message)
                return
            self.queue.remove(exchange)
            exchange.end()
        if self.current is not None or self.queue:
            self.pending_reject = (status, message)
            self.pause_reading()
            return
        self.write(
            b"HTTP/1.1 "
            + status
            + b"\r\ncontent-type: text/plain\r\ncontent-length: "
            + str(len(message)).encode()
            + b"\r\nconnection: close\r\n\r\n"
            + message
        )
        self.linger()  # the client may still be sending: let it read the answer first


__all__ = ["HttpProtocol", "ServerState"]
