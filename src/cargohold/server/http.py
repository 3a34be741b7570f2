"""One HTTP/1.1 connection: parse requests, run the ASGI app for each, write responses.

Requests on a connection are served one at a time, in order (pipelined requests wait).
``http.response.pathsend`` (the ASGI path-send extension) hands a file to the kernel with
``sendfile``: blob bytes never pass through Python. Request bodies are handed to the app as
they arrive, with reading paused while more than ``BODY_HIGH_WATER`` bytes wait.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

import httptools

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

BODY_HIGH_WATER = 1024 * 1024
MAX_HEAD_BYTES = 64 * 1024
KEEP_ALIVE_SECONDS = 75.0
PATHSEND = "http.response.pathsend"

log = logging.getLogger("cargohold.server")


def _status_line(status: int) -> bytes:
    try:
        from http import HTTPStatus

        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


_STATUS = {code: _status_line(code) for code in range(100, 600)}


class _Clock:
    """The Date header, formatted once per second."""

    def __init__(self) -> None:
        self._second = 0
        self._header = b""

    def header(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._header = b"date: " + email.utils.formatdate(now, usegmt=True).encode() + b"\r\n"
        return self._header


CLOCK = _Clock()


class ServerState:
    """What the worker knows of its connections, for a graceful shutdown."""

    def __init__(self) -> None:
        self.connections: set[HttpProtocol] = set()
        self.stopping = False


class Exchange:
    """One request and its response."""

    def __init__(self, protocol: HttpProtocol, scope: dict[str, Any], keep_alive: bool) -> None:
        self.protocol = protocol
        self.scope = scope
        self.keep_alive = keep_alive
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.body_complete = False
        self.expect_continue = False
        self.continue_sent = False
        self.arrived: asyncio.Event | None = None
        self.started = False
        self.complete = False
        self.chunked = False
        self.head_only = scope["method"] == "HEAD"
        self.pending_head = b""

    # --- fed by the parser ----------------------------------------------------------------

    def body(self, data: bytes) -> None:
        if self.complete:
            return  # the app answered without reading it all: drop the rest
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > BODY_HIGH_WATER:
            self.protocol.pause_reading()
        if self.arrived is not None:
            self.arrived.set()

    def end_of_body(self) -> None:
        self.body_complete = True
        if self.arrived is not None:
            self.arrived.set()

    # --- the ASGI side --------------------------------------------------------------------

    async def receive(self) -> Message:
        protocol = self.protocol
        while not self.chunks and not self.body_complete and not protocol.closed:
            if self.expect_continue and not self.continue_sent and not self.started:
                self.continue_sent = True
                protocol.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            protocol.resume_reading()
            if self.arrived is None:
                self.arrived = asyncio.Event()
            self.arrived.clear()
            await self.arrived.wait()
        if protocol.closed and not self.chunks and not self.body_complete:
            return {"type": "http.disconnect"}
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        protocol.resume_reading()
        return {"type": "http.request", "body": data, "more_body": not self.body_complete}

    async def send(self, message: Message) -> None:
        protocol = self.protocol
        if protocol.closed or self.complete:
            return
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected http.response.start, got {kind}")
            self.started = True
            self.pending_head = self._head(message["status"], message.get("headers", []))
            return
        if kind == "http.response.body":
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if self.head_only:
                body = b""
            elif self.chunked:
                body = (b"%x\r\n" % len(body) + body + b"\r\n" if body else b"") + (
                    b"" if more else b"0\r\n\r\n"
                )
            protocol.write(self.pending_head + body)
            self.pending_head = b""
            if more:
                await protocol.drain()
            else:
                self._finish()
        elif kind == PATHSEND:
            protocol.write(self.pending_head)
            self.pending_head = b""
            if not self.head_only:
                await protocol.send_file(message["path"])
            self._finish()
        else:
            raise RuntimeError(f"unexpected ASGI message {kind}")

    def _head(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        parts = [
            _STATUS.get(status) or _status_line(status),
            b"server: cargohold\r\n",
            CLOCK.header(),
        ]
        has_length = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-length":
                has_length = True
            elif lowered == b"connection" and b"close" in value.lower():
                self.keep_alive = False
            if b"\n" in name or b"\n" in value or b"\r" in name or b"\r" in value:
                raise RuntimeError("header with a line break")
            parts += (name, b": ", value, b"\r\n")
        if not has_length and not self.head_only and status >= 200 and status not in (204, 304):
            self.chunked = True
            parts.append(b"transfer-encoding: chunked\r\n")
        if not self.keep_alive or self.protocol.state.stopping:
            self.keep_alive = False
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        return b"".join(parts)

    def _finish(self) -> None:
        self.complete = True
        self.chunks.clear()
        self.protocol.resume_reading()

    async def run(self, app: ASGIApp) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except Exception:
            log.exception("unhandled error in the application")
            if not self.started and not self.protocol.closed:
                body = b"Internal Server Error"
                self.keep_alive = False
                await self.send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"text/plain"),
                            (b"content-length", b"%d" % len(body)),
                        ],
                    }
                )
                await self.send({"type": "http.response.body", "body": body})
            else:
                self.protocol.close()
        finally:
            if not self.complete and not self.protocol.closed:
                # The app returned without finishing its response.
                self.protocol.close()
            self.protocol.exchange_done(self)


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
        self.reading_paused = False
        self.writing_paused: asyncio.Future[None] | None = None
        self.current: Exchange | None = None
        self.parsing: Exchange | None = None
        self.queue: deque[Exchange] = deque()
        self.idle: asyncio.TimerHandle | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0

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
        for exchange in (self.current, self.parsing, *self.queue):
            if exchange is not None and exchange.arrived is not None:
                exchange.arrived.set()
        if self.writing_paused is not None and not self.writing_paused.done():
            self.writing_paused.set_result(None)
        if self.idle is not None:
            self.idle.cancel()

    def data_received(self, data: bytes) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(b"400 Bad Request", b"protocol upgrades are not supported")
        except httptools.HttpParserError as exc:
            if self._head_bytes > MAX_HEAD_BYTES:
                self._reject(
                    b"431 Request Header Fields Too Large",
                    f"request line and headers exceed {MAX_HEAD_BYTES} bytes".encode(),
                )
            else:
                self._reject(b"400 Bad Request", f"malformed HTTP request: {exc}".encode())

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

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        self._count(len(name) + len(value))

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
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
            "extensions": {PATHSEND: {}},
        }
        exchange = Exchange(self, scope, self.parser.should_keep_alive())
        exchange.expect_continue = (b"expect", b"100-continue") in self._headers
        self.parsing = exchange
        if self.current is None:
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

    # --- exchanges ------------------------------------------------------------------------

    def _start(self, exchange: Exchange) -> None:
        self.current = exchange
        self.loop.create_task(exchange.run(self.app))

    def exchange_done(self, exchange: Exchange) -> None:
        self.current = None
        if self.closed:
            return
        if not exchange.keep_alive or self.state.stopping:
            self.close()
            return
        # A body the app did not read is still parsed and dropped, so the next request on
        # this connection starts where it should.
        if self.queue:
            self._start(self.queue.popleft())
            self.resume_reading()
        else:
            self._arm_idle()

    # --- output ---------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        if self.writing_paused is not None and not self.writing_paused.done():
            await self.writing_paused

    async def send_file(self, path: str) -> None:
        assert self.transport is not None
        try:
            with open(path, "rb") as handle:  # noqa: ASYNC230 - opening is not reading
                await self.loop.sendfile(self.transport, handle)
        except (ConnectionError, RuntimeError):
            # The client went away mid-file (RuntimeError: the transport closed under us).
            self.close()

    # --- flow control, closing ------------------------------------------------------------

    def pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None and not self.closed:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        current = self.current
        if current is not None and current.buffered > BODY_HIGH_WATER:
            return
        if self.queue:
            return
        if self.reading_paused and self.transport is not None and not self.closed:
            self.reading_paused = False
            self.transport.resume_reading()

    def _arm_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = self.loop.call_later(KEEP_ALIVE_SECONDS, self.close)

    def is_idle(self) -> bool:
        return self.current is None and not self.queue

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    def _reject(self, status: bytes, message: bytes) -> None:
        if self.current is None or not self.current.started:
            self.write(
                b"HTTP/1.1 "
                + status
                + b"\r\ncontent-type: text/plain\r\ncontent-length: "
                + str(len(message)).encode()
                + b"\r\nconnection: close\r\n\r\n"
                + message
            )
        self.close()


class _HeadTooLarge(Exception):
    pass


__all__ = ["ASGIApp", "HttpProtocol", "ServerState"]
