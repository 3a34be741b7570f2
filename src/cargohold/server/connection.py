"""One HTTP/1.1 connection: parse requests (httptools), run an Exchange for each, in order.

Pipelined requests wait their turn; request bodies go to the running exchange as they arrive,
with reading paused while more than ``BODY_HIGH_WATER`` bytes wait; a connection that sends no
complete request head within ``KEEP_ALIVE_SECONDS`` is closed. Trailer fields of chunked
bodies are parsed and dropped: they never become request headers.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from typing import Any, BinaryIO
from urllib.parse import unquote

import httptools

from cargohold.server.asgi import PATHSEND, ZEROCOPY, ASGIApp
from cargohold.server.exchange import BODY_HIGH_WATER, Exchange

MAX_HEAD_BYTES = 64 * 1024  # request line and header fields, as parsed
MAX_HEAD_RAW = 1024 * 1024  # bytes received while still inside a request head
KEEP_ALIVE_SECONDS = 75.0
LINGER_SECONDS = 2.0
_MAX_LENGTH_DIGITS = 19  # a Content-Length past 2^63 is not one to plan with


def _content_length(value: bytes) -> int | None:
    """The body size a request declares, if it is a sane number (httptools enforces the
    framing itself)."""
    digits = value.strip(b" \t")
    return int(digits) if digits.isdigit() and len(digits) <= _MAX_LENGTH_DIGITS else None


class ServerState:
    """What a worker knows of its connections, for the sweep and a graceful shutdown."""

    def __init__(self) -> None:
        self.connections: set[HttpProtocol] = set()
        self.stopping = False


class HttpProtocol(asyncio.Protocol):
    def __init__(self, app: ASGIApp, state: ServerState, server_address: tuple[str, int]) -> None:
        self.app = app
        self.state = state
        self.server_address = server_address
        self.loop = asyncio.get_running_loop()
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
        self.idle_since: float | None = None  # closed by the worker's sweep when too old
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
        peer = transport.get_extra_info("peername")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        self.state.connections.add(self)
        self._arm_idle()

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
            if self._head_bytes > MAX_HEAD_BYTES and self._in_url:
                self._reject(
                    b"414 URI Too Long",
                    f"the request target exceeds {MAX_HEAD_BYTES} bytes".encode(),
                )
            elif self._head_bytes > MAX_HEAD_BYTES:
                self._reject(
                    b"431 Request Header Fields Too Large",
                    f"request line and headers exceed {MAX_HEAD_BYTES} bytes".encode(),
                )
            else:
                self._reject(b"400 Bad Request", f"malformed HTTP request: {exc}".encode())
            return
        if self._in_head:
            self._head_raw += len(data)
        if self._head_raw > MAX_HEAD_RAW:
            self._reject(
                b"431 Request Header Fields Too Large",
                f"request line and headers exceed {MAX_HEAD_BYTES} bytes".encode(),
            )

    def pause_writing(self) -> None:
        if self.writing_paused is None or self.writing_paused.done():
            self.writing_paused = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.writing_paused is not None and not self.writing_paused.done():
            self.writing_paused.set_result(None)

    # --- httptools callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
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
        self.idle_since = None
        parsed = httptools.parse_url(self._url)
        raw_path = parsed.path
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": self.parser.get_http_version(),
            "server": self.server_address,
            "client": self.client,
            "scheme": "http",
            "method": self.parser.get_method().decode("ascii"),
            "root_path": "",
            "path": unquote(raw_path.decode("ascii", "replace")),
            "raw_path": raw_path,
            "query_string": parsed.query or b"",
            "headers": self._headers,
            "extensions": {PATHSEND: {}, ZEROCOPY: {}},
        }
        exchange = Exchange(self, scope, self.parser.should_keep_alive())
        for name, value in self._headers:
            if name == b"content-length":
                exchange.declared = _content_length(value)
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
        else:
            self._arm_idle()
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
            return await self.loop.sendfile(self.transport, handle, offset, count)
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
            self.transport.resume_reading()

    def _arm_idle(self) -> None:
        self.idle_since = self.loop.time()

    def expired(self, now: float) -> bool:
        """No complete request head for ``KEEP_ALIVE_SECONDS``."""
        return self.idle_since is not None and now - self.idle_since > KEEP_ALIVE_SECONDS

    def is_idle(self) -> bool:
        return self.current is None and not self.queue

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
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
        self.idle_since = None
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
