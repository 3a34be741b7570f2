"""A minimal HTTP/1.1 client on asyncio, light enough on CPU to load a server from the same box.

One :class:`Connection` is one keep-alive TCP connection with one request in flight at a time.
The kernel copies received bytes straight into a per-connection buffer
(:class:`asyncio.BufferedProtocol`); the body is hashed (SHA-256) from that buffer and, only when
asked, kept. Bodies framed by Content-Length, chunked transfer coding or connection close are
all understood; a request body is sent whole with a Content-Length (no chunked uploads); there
is no TLS, no proxy and no compression.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto

BUFFER_BYTES = 256 * 1024
MAX_HEAD_BYTES = 64 * 1024


class ProtocolError(ConnectionError):
    """The server answered something this client cannot read as HTTP/1.1."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names; repeated fields joined with ", "
    body: bytes  # empty unless the request asked to keep it
    length: int  # body bytes received
    sha256: str  # hex digest of the body bytes received


class _Phase(Enum):
    IDLE = auto()
    HEAD = auto()
    LENGTH = auto()
    CHUNK_SIZE = auto()
    CHUNK_DATA = auto()
    CHUNK_END = auto()
    TRAILER = auto()
    UNTIL_CLOSE = auto()


class Connection(asyncio.BufferedProtocol):
    """One keep-alive connection; open it with :meth:`open`."""

    def __init__(self, authority: str, buffer_bytes: int = BUFFER_BYTES) -> None:
        self._authority = authority
        self._buffer = bytearray(buffer_bytes)
        self._view = memoryview(self._buffer)
        self._transport: asyncio.Transport | None = None
        self._closed = False
        self._phase = _Phase.IDLE
        self._future: asyncio.Future[Response] | None = None
        self._head = bytearray()
        self._line = bytearray()
        self._no_body = False
        self._keep_body = False
        self._keep_alive = True
        self._status = 0
        self._headers: dict[str, str] = {}
        self._body = bytearray()
        self._hasher = hashlib.sha256()
        self._received = 0
        self._remaining = 0

    @classmethod
    async def open(cls, host: str, port: int, buffer_bytes: int = BUFFER_BYTES) -> Connection:
        loop = asyncio.get_running_loop()
        authority = f"{host}:{port}"
        _, protocol = await loop.create_connection(lambda: cls(authority, buffer_bytes), host, port)
        return protocol

    @property
    def usable(self) -> bool:
        return not self._closed and self._phase is _Phase.IDLE and self._keep_alive

    async def request(
        self,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]] = (),
        *,
        keep_body: bool = False,
        body: bytes | None = None,
    ) -> Response:
        """Send one request (with ``body``, if given, and its Content-Length) and read its
        whole response; bound it with ``asyncio.timeout``.

        An error or a cancellation while waiting closes the connection.
        """
        if not self.usable or self._transport is None:
            raise ConnectionError("connection is closed or busy")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._authority}"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if body is not None:  # also an empty one: a PUT or POST says it has no body
            lines.append(f"Content-Length: {len(body)}")
        future = self._begin(method, keep_body)
        self._transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if body:
            self._transport.write(body)
        try:
            return await future
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    # asyncio.BufferedProtocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not isinstance(transport, asyncio.Transport):
            raise TypeError("a stream transport is needed")
        self._transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self._consume(0, nbytes)
        except ProtocolError as exc:
            self._fail(exc)

    def eof_received(self) -> bool | None:
        return None  # let the transport close; connection_lost settles the response

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._future is None or self._future.done():
            return
        if self._phase is _Phase.UNTIL_CLOSE:
            self._finish()
        else:
            self._fail(ConnectionError(f"server closed the connection mid-response ({exc})"))

    # parsing

    def _begin(self, method: str, keep_body: bool) -> asyncio.Future[Response]:
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._future = future
        self._phase = _Phase.HEAD
        self._no_body = method == "HEAD"
        self._keep_body = keep_body
        self._body = bytearray()
        self._hasher = hashlib.sha256()
        self._received = 0
        return future

    def _consume(self, pos: int, end: int) -> None:
        while pos < end:
            phase = self._phase
            if phase is _Phase.HEAD:
                pos = self._read_head(pos, end)
            elif phase is _Phase.LENGTH or phase is _Phase.CHUNK_DATA:
                take = min(end - pos, self._remaining)
                self._data(pos, pos + take)
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    if phase is _Phase.LENGTH:
                        self._finish()
                    else:
                        self._phase = _Phase.CHUNK_END
            elif phase is _Phase.CHUNK_SIZE:
                line, pos = self._read_line(pos, end)
                if line is not None:
                    self._chunk_size(line)
            elif phase is _Phase.CHUNK_END:
                line, pos = self._read_line(pos, end)
                if line is not None:
                    if line:
                        raise ProtocolError("chunk data is not followed by CRLF")
                    self._phase = _Phase.CHUNK_SIZE
            elif phase is _Phase.TRAILER:
                line, pos = self._read_line(pos, end)
                if line is not None and not line:
                    self._finish()
            elif phase is _Phase.UNTIL_CLOSE:
                self._data(pos, end)
                pos = end
            else:
                raise ProtocolError("the server sent bytes while no request was in flight")

    def _read_head(self, pos: int, end: int) -> int:
        if not self._head:
            found = self._buffer.find(b"\r\n\r\n", pos, end)
            if found >= 0:
                self._parse_head(bytes(self._view[pos:found]))
                return found + 4
            self._head += self._view[pos:end]
        else:
            before = len(self._head)
            self._head += self._view[pos:end]
            found = self._head.find(b"\r\n\r\n", max(0, before - 3))
            if found >= 0:
                head = bytes(self._head[:found])
                self._head.clear()
                self._parse_head(head)
                return pos + found + 4 - before
        if len(self._head) > MAX_HEAD_BYTES:
            raise ProtocolError(f"response head is longer than {MAX_HEAD_BYTES} bytes")
        return end

    def _read_line(self, pos: int, end: int) -> tuple[bytes | None, int]:
        found = self._buffer.find(b"\n", pos, end)
        if found < 0:
            self._line += self._view[pos:end]
            if len(self._line) > MAX_HEAD_BYTES:
                raise ProtocolError("line in chunked body is too long")
            return None, end
        self._line += self._view[pos:found]
        line = bytes(self._line).rstrip(b"\r")
        self._line.clear()
        return line, found + 1

    def _chunk_size(self, line: bytes) -> None:
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size line {line[:40]!r}") from exc
        if size == 0:
            self._phase = _Phase.TRAILER
        else:
            self._remaining = size
            self._phase = _Phase.CHUNK_DATA

    def _parse_head(self, head: bytes) -> None:
        status_line, *fields = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1."):
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:60]!r}")
        try:
            status = int(rest[:3])
        except ValueError as exc:
            raise ProtocolError(f"bad status line {status_line[:60]!r}") from exc
        headers: dict[str, str] = {}
        for field in fields:
            name, sep, value = field.partition(":")
            if not sep:
                raise ProtocolError(f"bad header line {field[:60]!r}")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if 100 <= status < 200:
            return  # an interim response: the final one follows
        self._status = status
        self._headers = headers
        connection = headers.get("connection", "").lower()
        self._keep_alive = "close" not in connection and (
            version != "HTTP/1.0" or "keep-alive" in connection
        )
        if self._no_body or status in (204, 304):
            self._finish()
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._phase = _Phase.CHUNK_SIZE
        elif "content-length" in headers:
            try:
                self._remaining = int(headers["content-length"])
            except ValueError as exc:
                raise ProtocolError("bad Content-Length") from exc
            if self._remaining == 0:
                self._finish()
            else:
                self._phase = _Phase.LENGTH
        else:
            self._keep_alive = False
            self._phase = _Phase.UNTIL_CLOSE

    def _data(self, start: int, end: int) -> None:
        chunk = self._view[start:end]
        self._hasher.update(chunk)
        self._received += end - start
        if self._keep_body:
            self._body += chunk

    def _finish(self) -> None:
        self._phase = _Phase.IDLE
        response = Response(
            status=self._status,
            headers=self._headers,
            body=bytes(self._body),
            length=self._received,
            sha256=self._hasher.hexdigest(),
        )
        self._body = bytearray()
        if not self._keep_alive:
            self.close()
        if self._future is not None and not self._future.done():
            self._future.set_result(response)

    def _fail(self, exc: Exception) -> None:
        self._phase = _Phase.IDLE
        self.close()
        if self._future is not None and not self._future.done():
            self._future.set_exception(exc)


class Lanes:
    """A client's keep-alive connections to one server, one per lane (a lane carries one
    request at a time); a connection the server closed is dialled again, as a client would."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._connections: list[Connection] = []

    async def get(self, index: int) -> Connection:
        while len(self._connections) <= index:
            self._connections.append(await Connection.open(self._host, self._port))
        connection = self._connections[index]
        if not connection.usable:
            connection = await Connection.open(self._host, self._port)
            self._connections[index] = connection
        return connection

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


__all__ = ["Connection", "Lanes", "ProtocolError", "Response"]
