"""One HTTP/1.1 connection: parse requests (httptools), run an Exchange for each, in order.

Pipelined requests wait their turn; request bodies go to the running exchange as they arrive,
with reading paused while more than ``BODY_HIGH_WATER`` bytes wait; idle connections close
after ``KEEP_ALIVE_SECONDS``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any
from urllib.parse import unquote

import httptools

from cargohold.server.exchange import BODY_HIGH_WATER, PATHSEND, ASGIApp, Exchange, ServerState

MAX_HEAD_BYTES = 64 * 1024
KEEP_ALIVE_SECONDS = 75.0


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


__all__ = ["HttpProtocol"]
