"""One request and its response on an HTTP/1.1 connection, as the ASGI app sees them.

``http.response.pathsend`` (the ASGI path-send extension) hands a file to the connection,
which gives it to the kernel with ``sendfile``: blob bytes never pass through Python.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cargohold.server.connection import HttpProtocol

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

BODY_HIGH_WATER = 1024 * 1024
PATHSEND = "http.response.pathsend"

log = logging.getLogger("cargohold.server")


def _status_line(status: int) -> bytes:
    try:
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


__all__ = ["BODY_HIGH_WATER", "PATHSEND", "ASGIApp", "Exchange", "ServerState"]
