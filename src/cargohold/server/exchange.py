"""One request and its response on an HTTP/1.1 connection, as the ASGI app sees them.

``http.response.pathsend`` (the ASGI path-send extension) hands a file to the connection,
which gives it to the kernel with ``sendfile``: blob bytes never pass through Python.
An exchange knows its connection only through :class:`Connection`, the few things it needs.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import time
from collections import deque
from http import HTTPStatus
from typing import Any, BinaryIO, Protocol

from cargohold.server import access
from cargohold.server.asgi import PATHSEND, ZEROCOPY, ASGIApp, Message

BODY_HIGH_WATER = 1024 * 1024

log = logging.getLogger("cargohold.server")


def _status_line(status: int, reason: str | None = None) -> bytes:
    if reason is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")


def _reason(given: object) -> str | None:
    """A reason phrase an app gave (the ``reason`` extension of ``http.response.start``), as
    a status line may carry it: printable Latin-1 on one line, at most 300 characters."""
    if not isinstance(given, str) or not given:
        return None
    text = given.encode("latin-1", "replace").decode("latin-1")
    cleaned = "".join(c if c.isprintable() else " " for c in text).strip()
    return cleaned[:300] or None


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


DRAIN_LIMIT = 1024 * 1024  # an unread body up to this size is skipped to keep the connection


class Connection(Protocol):
    """What an exchange needs from the connection it runs on."""

    @property
    def closed(self) -> bool:
        """The connection is closed or closing: nothing more can be sent."""
        ...

    @property
    def input_closed(self) -> bool:
        """The client will send nothing more."""
        ...

    @property
    def stopping(self) -> bool:
        """The server is shutting down: answer, then close."""
        ...

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None:
        """Wait while the client is slow to take what was written."""
        ...

    async def send_file(self, handle: BinaryIO, offset: int, count: int) -> int:
        """Send ``count`` bytes from ``offset`` with sendfile (fewer if the file is shorter)."""
        ...

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None:
        """Read again, unless the connection has reasons of its own to wait."""
        ...

    def exchange_done(self, exchange: Exchange) -> None:
        """The exchange ended, its response complete or not."""
        ...


class Exchange:
    """One request and its response."""

    def __init__(self, connection: Connection, scope: dict[str, Any], keep_alive: bool) -> None:
        self.connection = connection
        self.scope = scope
        self.keep_alive = keep_alive
        self.http10 = scope["http_version"] == "1.0"
        self.head_only = scope["method"] == "HEAD"
        # request body
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.received = 0
        self.declared: int | None = None
        self.body_complete = False
        self.final_delivered = False
        self.expect_continue = False
        self.continue_sent = False
        self.arrived: asyncio.Event | None = None
        self.waiting_since: float | None = None  # (loop time) the app waits for body bytes
        self.ended: asyncio.Event | None = None
        # response
        self.started = False
        self.head_written = False
        self.complete = False
        self.chunked = False
        self.remaining: int | None = None
        self.pending_head = b""
        self.task: asyncio.Task[None] | None = None
        self.rejection: tuple[bytes, bytes] | None = None
        self.running = False
        # for the access log
        self.began = time.perf_counter()
        self.status = 0
        self.sent = 0  # body bytes
        self.request_id = b"-"

    # --- fed by the connection ------------------------------------------------------------

    def body(self, data: bytes) -> None:
        self.received += len(data)
        if self.complete:
            return  # answered without reading it all: the rest is dropped
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > BODY_HIGH_WATER:
            self.connection.pause_reading()
        self.wake()

    def end_of_body(self) -> None:
        self.body_complete = True
        self.wake()

    def wake(self) -> None:
        if self.arrived is not None:
            self.arrived.set()

    def reject(self, status: bytes, message: bytes) -> None:
        """The body cannot be parsed: stop the application and answer ``status`` instead."""
        self.rejection = (status, message)
        self.keep_alive = False
        if self.running and self.task is not None:
            self.task.cancel()  # else run() answers when it starts

    def end(self) -> None:
        """The response is complete or the connection is gone."""
        if self.ended is not None:
            self.ended.set()
        self.wake()

    # --- the ASGI side --------------------------------------------------------------------

    async def receive(self) -> Message:
        connection = self.connection
        if self.complete or connection.closed:
            return {"type": "http.disconnect"}
        if self.final_delivered:
            # Nothing more will come: wait until the response ends or the client leaves.
            if self.ended is None:
                self.ended = asyncio.Event()
            await self.ended.wait()
            return {"type": "http.disconnect"}
        while not self.chunks and not self.body_complete:
            if connection.closed or connection.input_closed:
                return {"type": "http.disconnect"}
            if self.expect_continue and not self.continue_sent and not self.started:
                self.continue_sent = True
                connection.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            connection.resume_reading()
            if self.arrived is None:
                self.arrived = asyncio.Event()
            self.arrived.clear()
            self.waiting_since = asyncio.get_running_loop().time()
            try:
                await self.arrived.wait()
            finally:
                self.waiting_since = None
            if self.complete or connection.closed:
                return {"type": "http.disconnect"}
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        connection.resume_reading()
        self.final_delivered = self.body_complete
        return {"type": "http.request", "body": data, "more_body": not self.body_complete}

    async def send(self, message: Message) -> None:
        connection = self.connection
        if self.complete:
            return
        if connection.closed:
            raise ConnectionResetError("the client closed the connection")
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected http.response.start, got {kind}")
            self.status = message["status"]
            reason = _reason(message.get("reason"))
            self.pending_head = self._head(self.status, message.get("headers", []), reason)
            self.started = True
            return
        if kind == "http.response.body":
            more = bool(message.get("more_body", False))
            connection.write(self.pending_head + self._frame(message.get("body", b""), more))
            self.pending_head = b""
            self.head_written = True
            if more:
                await connection.drain()
            else:
                if self.remaining:  # fewer bytes than announced: the client must not wait
                    self.keep_alive = False
                self._finish()
        elif kind in (PATHSEND, ZEROCOPY):
            connection.write(self.pending_head)
            self.pending_head = b""
            self.head_written = True
            more = kind == ZEROCOPY and bool(message.get("more_body", False))
            if kind == PATHSEND:
                with open(message["path"], "rb") as handle:  # noqa: ASYNC230 - not reading
                    await self._file(handle, 0, None, more)
            else:
                await self._file(message["file"], message.get("offset"), message.get("count"), more)
            if not more:
                if self.remaining:  # fewer bytes than announced
                    self.keep_alive = False
                self._finish()
        else:
            raise RuntimeError(f"unexpected ASGI message {kind}")

    async def _file(
        self, handle: BinaryIO, offset: int | None, count: int | None, more: bool
    ) -> None:
        """``count`` bytes of the file from ``offset`` (to its end when None), framed like
        any body: never more than the Content-Length announced, in one chunk if chunked."""
        if self.head_only:
            return
        offset = offset or 0
        available = max(0, os.fstat(handle.fileno()).st_size - offset)
        wanted = available if count is None else max(0, min(count, available))
        if self.remaining is not None:
            if wanted > self.remaining:  # more than announced: cut, and close after
                wanted = self.remaining
                self.keep_alive = False
            sent = await self.connection.send_file(handle, offset, wanted)
            self.remaining -= sent
            self.sent += sent
            return
        if self.chunked and wanted:
            self.connection.write(b"%x\r\n" % wanted)
        sent = await self.connection.send_file(handle, offset, wanted)
        self.sent += sent
        if self.chunked:
            if sent < wanted:  # the file shrank: the chunk cannot be completed
                raise RuntimeError("the file shrank while it was sent")
            self.connection.write((b"\r\n" if wanted else b"") + (b"" if more else b"0\r\n\r\n"))

    def _frame(self, body: bytes, more: bool) -> bytes:
        if self.head_only:
            return b""
        if self.remaining is not None:
            if len(body) > self.remaining:  # more than announced: cut, and close after
                body = body[: self.remaining]
                self.keep_alive = False
            self.remaining -= len(body)
            self.sent += len(body)
            return body
        self.sent += len(body)
        if self.chunked:
            framed = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
            return framed if more else framed + b"0\r\n\r\n"
        return body

    def _head(
        self, status: int, headers: list[tuple[bytes, bytes]], reason: str | None = None
    ) -> bytes:
        status_line = None if reason is None else _status_line(status, reason)
        parts = [
            status_line or _STATUS.get(status) or _status_line(status),
            b"server: cargohold\r\n",
            CLOCK.header(),
        ]
        remaining = None
        says_close = False
        fields: list[bytes] = []
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-length":
                remaining = int(value)
            elif lowered == b"connection" and b"close" in value.lower():
                says_close = True
            elif lowered == b"x-request-id":
                self.request_id = value
            fields += (name, b": ", value, b"\r\n")
        block = b"".join(fields)
        if block.count(b"\n") != len(headers) or block.count(b"\r") != len(headers):
            raise RuntimeError("response header with a line break")
        parts.append(block)
        if says_close or self.connection.stopping or self._unread_body_too_large():
            self.keep_alive = False
        bodiless = self.head_only or status < 200 or status in (204, 304)
        if remaining is None and not bodiless:
            if self.http10:
                self.keep_alive = False  # the end of the body is the end of the connection
            else:
                self.chunked = True
                parts.append(b"transfer-encoding: chunked\r\n")
        self.remaining = None if bodiless else remaining
        if not self.keep_alive and not says_close:
            parts.append(b"connection: close\r\n")
        elif self.keep_alive and self.http10:
            parts.append(b"connection: keep-alive\r\n")
        parts.append(b"\r\n")
        return b"".join(parts)

    def _unread_body_too_large(self) -> bool:
        """Answering before the body arrived: keep the connection only if the rest is small."""
        if self.body_complete:
            return False
        if self.expect_continue and not self.continue_sent:
            return True  # the client may never send the body it announced
        if self.declared is None:
            return True
        return self.declared - self.received > DRAIN_LIMIT

    def _finish(self) -> None:
        self.complete = True
        self.chunks.clear()
        self.buffered = 0
        self.end()
        self.connection.resume_reading()

    async def run(self, app: ASGIApp) -> None:
        self.running = True
        try:
            if self.rejection is not None:
                raise asyncio.CancelledError  # rejected before the application began
            await app(self.scope, self.receive, self.send)
            if not self.complete and not self.head_written and not self.connection.closed:
                log.error("the application returned without a response")
                await self._internal_error()
        except asyncio.CancelledError:
            if self.rejection is None:
                raise
            if not self.head_written and not self.connection.closed:
                status, message = self.rejection
                await self._plain(int(status.split()[0]), message)
        except Exception as exc:
            if self.connection.closed:
                log.debug("client went away: %r", exc)
            else:
                # one line; the traceback only at debug level
                log.error(
                    "unhandled error in the application: %s: %r", type(exc).__name__, str(exc)[:500]
                )
                log.debug("unhandled error in the application", exc_info=True)
                if not self.head_written:
                    await self._internal_error()
        finally:
            self.connection.exchange_done(self)
            self._log()

    def _log(self) -> None:
        # 499: the client left before its response went out (as nginx says it)
        status = self.status if self.head_written or not self.connection.closed else 499
        access.write(self.scope, status, self.sent, self.began, self.request_id.decode("latin-1"))

    async def _internal_error(self) -> None:
        await self._plain(500, b"Internal Server Error")

    async def _plain(self, status: int, body: bytes) -> None:
        """Answer with ``body`` as text, whatever the application had begun, and close."""
        self.started = False
        self.pending_head = b""
        self.chunked = False
        self.keep_alive = False
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


__all__ = ["BODY_HIGH_WATER", "Connection", "Exchange"]
