"""A reverse proxy for tests that misbehaves on request: in front of an upstream registry, it
passes HTTP/1.1 through, counts the requests per path, and can be told at any moment to
answer some of them itself (429 with ``Retry-After``, 503), to wait before answering, to cut a
response body short, to send a body without saying its size (chunked), or to stop accepting
connections altogether.

It runs an asyncio loop in a thread of its own, so synchronous tests drive it directly. Bodies
stream through in pieces both ways (a blob is never held whole). The ``Host`` header goes to
the upstream unchanged, so what the upstream builds from it (a cargohold's token ``realm``,
an upload's ``Location``) names the proxy: tokens and uploads go through the proxy too, are
counted, and can be faulted like anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

HOST = "127.0.0.1"
PIECE = 64 * 1024
HEAD_LIMIT = 1024 * 1024
NO_BODY_STATUSES = (204, 304)
REASONS = {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable"}
CODES = {429: "TOOMANYREQUESTS", 502: "UNAVAILABLE", 503: "UNAVAILABLE"}


@dataclass
class Exchange:
    """One request the proxy received, and what became of it."""

    method: str
    path: str  # without the query
    status: int = 0  # what the client was answered (0: nothing, the connection closed)
    fault: str = ""  # the fault applied to it: "", "status", "stall", "cut", "unsized"


@dataclass
class _Rule:
    kind: str  # "status", "stall", "cut" or "unsized"
    path: re.Pattern[str]
    method: str | None
    times: int | None  # matching requests still to hit; None: every one until clear()
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0
    after_bytes: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.fullmatch(path))


class _Cut(Exception):
    """The response was cut as a rule said: close the client's connection."""


class _Head:
    def __init__(self, raw: bytes) -> None:
        lines = raw.decode("latin-1").split("\r\n")
        self.start = lines[0]
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                self.headers.append((name, value))

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.strip().lower() == name:
                return value.strip()
        return None

    def chunked(self) -> bool:
        return "chunked" in (self.header("transfer-encoding") or "").lower()

    def length(self) -> int | None:
        value = self.header("content-length")
        return int(value) if value is not None else None

    def closes(self) -> bool:
        return "close" in (self.header("connection") or "").lower()


async def _read_head(reader: asyncio.StreamReader) -> _Head | None:
    """The next message head, or None once the peer has closed between messages."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    return _Head(raw[:-4])


class _Budget:
    """How many more body bytes may go to the client before it is cut (None: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    async def send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if self.left is not None and len(data) >= self.left:
            writer.write(data[: self.left])
            await writer.drain()
            raise _Cut
        if self.left is not None:
            self.left -= len(data)
        writer.write(data)
        await writer.drain()


async def _relay_body(
    head: _Head,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter | None,
    budget: _Budget,
    *,
    until_close: bool = False,
) -> None:
    """The body that follows ``head`` from ``reader`` to ``writer`` (None: read and dropped),
    as it arrives, framing included."""

    async def send(data: bytes) -> None:
        if writer is not None:
            await budget.send(writer, data)

    if head.chunked():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            await send(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    await send(trailer)
                await send(b"\r\n")
                return
            left = size + 2  # the data and its CRLF
            while left:
                data = await reader.read(min(PIECE, left))
                if not data:
                    raise ConnectionError("the peer closed inside a chunk")
                left -= len(data)
                await send(data)
    elif (length := head.length()) is not None:
        left = length
        while left:
            data = await reader.read(min(PIECE, left))
            if not data:
                raise ConnectionError("the peer closed inside a body")
            left -= len(data)
            await send(data)
    elif until_close:
        while data := await reader.read(PIECE):
            await send(data)


async def _rechunk(
    length: int,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    budget: _Budget,
    pause: float,
) -> None:
    """A body of ``length`` bytes from ``reader``, sent on as chunks, ``pause`` seconds after
    the first."""
    left = length
    while left:
        data = await reader.read(min(PIECE, left))
        if not data:
            raise ConnectionError("the peer closed inside a body")
        first = left == length
        left -= len(data)
        await budget.send(writer, b"%x\r\n%s\r\n" % (len(data), data))
        if first:
            await asyncio.sleep(pause)
    await budget.send(writer, b"0\r\n\r\n")


def _canned(status: int, retry_after: float | None, method: str) -> bytes:
    body = json.dumps(
        {"errors": [{"code": CODES.get(status, "UNKNOWN"), "message": "injected by the proxy"}]}
    ).encode()
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if retry_after is not None:
        lines.append(f"Retry-After: {retry_after:g}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if method == "HEAD" else head + body


class FaultProxy:
    """An HTTP/1.1 reverse proxy on a free loopback port in front of ``upstream``
    (``http://host:port``); ``start()`` it, ``stop()`` it."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"the proxy speaks plain HTTP to an upstream, not {upstream!r}")
        self._upstream = (parts.hostname, parts.port or 80)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._serving: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._exchanges: list[Exchange] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    # -- life -------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def down(self) -> None:
        """Stop accepting connections and close the open ones, as a stopped upstream: a client
        is refused until ``up()``."""
        self._call(self._close())

    def up(self) -> None:
        """Accept connections again, on the same port."""
        self._call(self._listen())

    # -- counting ---------------------------------------------------------------------------

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request received so far, in order."""
        with self._lock:
            return list(self._exchanges)

    def requests(self, path_regex: str, method: str | None = None) -> int:
        """How many requests came whose path (without the query) matches ``path_regex`` as a
        whole, of ``method`` if given; faulted ones included."""
        pattern = re.compile(path_regex)
        return sum(
            1
            for e in self.exchanges
            if pattern.fullmatch(e.path) and (method is None or e.method == method)
        )

    # -- faults: each applies to the next ``times`` requests that match (None: all) ----------

    def answer(
        self,
        path_regex: str,
        status: int,
        *,
        retry_after: float | None = None,
        times: int | None = 1,
        method: str | None = None,
    ) -> None:
        """Answer matching requests with ``status`` (and ``Retry-After``) without asking the
        upstream, in the OCI error format."""
        self._add(_Rule("status", re.compile(path_regex), method, times, status, retry_after))

    def throttle(
        self,
        path_regex: str,
        retry_after: float,
        *,
        times: int | None = 1,
        method: str | None = None,
    ) -> None:
        """429 Too Many Requests with ``Retry-After: retry_after``."""
        self.answer(path_regex, 429, retry_after=retry_after, times=times, method=method)

    def unavailable(
        self, path_regex: str, *, times: int | None = 1, method: str | None = None
    ) -> None:
        """503 Service Unavailable."""
        self.answer(path_regex, 503, times=times, method=method)

    def stall(
        self, path_regex: str, seconds: float, *, times: int | None = 1, method: str | None = None
    ) -> None:
        """Wait ``seconds`` before passing matching requests on (a slow upstream)."""
        self._add(_Rule("stall", re.compile(path_regex), method, times, seconds=seconds))

    def cut(
        self, path_regex: str, after_bytes: int, *, times: int | None = 1, method: str | None = None
    ) -> None:
        """Pass the response head and its first ``after_bytes`` body bytes, then close the
        connection (an upstream that dies in the middle of a blob)."""
        self._add(_Rule("cut", re.compile(path_regex), method, times, after_bytes=after_bytes))

    def unsized(
        self,
        path_regex: str,
        *,
        pause: float = 0.0,
        times: int | None = 1,
        method: str | None = None,
    ) -> None:
        """Pass a response whose size the upstream said as chunked, each piece a chunk, so the
        client learns its size only at its end (an upstream that streams what it makes);
        wait ``pause`` seconds after the first piece."""
        self._add(_Rule("unsized", re.compile(path_regex), method, times, seconds=pause))

    def clear(self) -> None:
        """Forget every fault not yet used up."""
        with self._lock:
            self._rules.clear()

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take(self, method: str, path: str) -> tuple[Exchange, _Rule | None]:
        with self._lock:
            exchange = Exchange(method, path)
            self._exchanges.append(exchange)
            for rule in self._rules:
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    exchange.fault = rule.kind
                    return exchange, rule
            return exchange, None

    # -- the loop's side --------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, HOST, self.port, limit=HEAD_LIMIT, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def _shutdown(self) -> None:
        """Closed, and every exchange still going (a stalled one too) cancelled."""
        await self._close()
        # Only the exchanges are cancelled: the loop's own step that accepts a connection
        # arriving at this moment, cancelled before it ran, would leave its socket to the
        # garbage collector (a ResourceWarning). It runs, and its exchange is cancelled next.
        deadline = time.monotonic() + 5
        while others := [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
            for task in others:
                if task in self._serving or time.monotonic() > deadline:
                    task.cancel()
            await asyncio.wait(others, timeout=0.1)
        # A transport closes its socket on the loop's next turns: let them come before the
        # loop stops. Every transport of the loop is closed, not only those of the exchanges
        # it knows: one an exchange was cancelled while opening would be left to the
        # garbage collector (a ResourceWarning in whatever test runs then).
        for writer in list(self._writers):
            writer.close()
        transports = getattr(asyncio.get_running_loop(), "_transports", {})
        for transport in list(transports.values()):
            transport.close()
        await asyncio.sleep(0.05)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Known at once, not when its task first runs: a stop that cancels the task before
        # then still closes the connection.
        self._writers.add(writer)
        task = self._loop.create_task(self._serve(reader, writer))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while (request := await _read_head(reader)) is not None:
                method, target = request.start.split(" ")[:2]
                exchange, rule = self._take(method, target.split("?", 1)[0])
                if rule is not None and rule.kind == "stall":
                    await asyncio.sleep(rule.seconds)
                if rule is not None and rule.kind == "status":
                    await _relay_body(request, reader, None, _Budget(None))
                    writer.write(_canned(rule.status, rule.retry_after, method))
                    await writer.drain()
                    exchange.status = rule.status
                    if request.closes():
                        break
                    continue
                if upstream is None or upstream[1].is_closing() or upstream[0].at_eof():
                    try:
                        upstream = await asyncio.open_connection(*self._upstream, limit=HEAD_LIMIT)
                    except OSError:
                        await _relay_body(request, reader, None, _Budget(None))
                        writer.write(_canned(502, None, method))
                        await writer.drain()
                        exchange.status = 502
                        continue
                    self._writers.add(upstream[1])
                budget = _Budget(
                    rule.after_bytes if rule is not None and rule.kind == "cut" else None
                )
                unsized = rule if rule is not None and rule.kind == "unsized" else None
                if not await self._exchange(
                    request, reader, writer, upstream, exchange, budget, unsized=unsized
                ):
                    break
        except (_Cut, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            for closing in (writer, upstream[1] if upstream else None):
                if closing is not None:
                    self._writers.discard(closing)
                    closing.close()
                    with contextlib.suppress(Exception):
                        await closing.wait_closed()

    async def _exchange(
        self,
        request: _Head,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        exchange: Exchange,
        budget: _Budget,
        *,
        unsized: _Rule | None = None,
    ) -> bool:
        """One request passed on and its answer passed back (a sized body as chunked when
        ``unsized``); whether the client's connection stays open for another."""
        up_reader, up_writer = upstream
        up_writer.write(_raw(request))
        # The request body goes up while the answer comes down (Expect: 100-continue).
        sending = asyncio.ensure_future(_relay_body(request, reader, up_writer, _Budget(None)))
        try:
            while True:
                response = await _read_head(up_reader)
                if response is None:
                    raise ConnectionError("the upstream closed without answering")
                status = int(response.start.split(" ")[1])
                length = response.length()
                rechunk = unsized is not None and status == 200 and length is not None
                if rechunk:
                    response.headers = [
                        (name, value)
                        for name, value in response.headers
                        if name.strip().lower() != "content-length"
                    ] + [("Transfer-Encoding", " chunked")]
                writer.write(_raw(response))
                await writer.drain()
                if status >= 200:
                    break
            exchange.status = status
            method = request.start.split(" ")[0]
            if unsized is not None and rechunk and method != "HEAD" and length is not None:
                await _rechunk(length, up_reader, writer, budget, unsized.seconds)
            elif method != "HEAD" and status not in NO_BODY_STATUSES:
                framed = response.chunked() or response.length() is not None
                await _relay_body(response, up_reader, writer, budget, until_close=not framed)
                if not framed:
                    return False
            await sending
        finally:
            if not sending.done():
                sending.cancel()
        return not (request.closes() or response.closes())


def _raw(head: _Head) -> bytes:
    lines = [head.start, *(f"{name}:{value}" for name, value in head.headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


__all__ = ["Exchange", "FaultProxy"]
