"""cargohold's app served by uvicorn instead of cargohold's own server, to measure the server.

    CARGOHOLD_DATA_DIR=/tmp/data CARGOHOLD_LISTEN=127.0.0.1:5001 CARGOHOLD_WORKERS=2 \\
        .venv/bin/python -m bench.uvicorn_server

Settings come from the environment as for ``cargohold serve``, which this follows: prepare the
data directory once, then build the app with ``create_app`` in each worker process (uvicorn's
``--workers``, the listening socket shared). uvicorn runs with the same parser (httptools) and
event loop (asyncio) as cargohold's server, no access log and no proxy-header middleware, as
cargohold's server has neither.

uvicorn does not offer the ASGI path-send and zero-copy-send extensions, and without them
cargohold streams blobs through Python in small chunks. :class:`FileSendingProtocol` adds
them to uvicorn's httptools protocol: the file goes to the socket with ``loop.sendfile``, as
cargohold's server does, so the comparison is of the servers, not of sendfile against reads.

It also sets ``TCP_NODELAY``, as cargohold's server does. uvicorn with ``--workers`` shares a
socket it made with proto 0, and asyncio sets the option only on sockets made with proto
IPPROTO_TCP: without it, uvicorn writes a response's head and body in two writes and the body
waits for the client's delayed ACK (about 40 ms a request: 1,409 manifest GETs/s instead of
about 5,000 in the benchmark). That is a flaw easily fixed, not a property of the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
from typing import Any, BinaryIO, cast

import uvicorn
from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from cargohold.app import create_app, prepare
from cargohold.settings import load_settings

PATHSEND = "http.response.pathsend"
ZEROCOPY = "http.response.zerocopysend"


class FileSendingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the path-send and zero-copy-send extensions, and
    TCP_NODELAY."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        cycle.scope["extensions"] = {PATHSEND: {}, ZEROCOPY: {}}

        async def with_files(
            scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
        ) -> None:
            async def send_or_sendfile(message: Any) -> None:
                kind = message["type"]
                if kind == PATHSEND:
                    with open(message["path"], "rb") as handle:  # noqa: ASYNC230 - not reading
                        await _send_file(cycle, send, handle, 0, None, more=False)
                elif kind == ZEROCOPY:
                    offset, count = message.get("offset"), message.get("count")
                    more = bool(message.get("more_body", False))
                    await _send_file(cycle, send, message["file"], offset, count, more)
                else:
                    await send(message)

            await app(scope, receive, send_or_sendfile)

        super()._start_asgi_task(cycle, with_files)


async def _send_file(
    cycle: RequestResponseCycle,
    send: ASGISendCallable,
    handle: BinaryIO,
    offset: int | None,
    count: int | None,
    more: bool,
) -> None:
    """The file's bytes by ``loop.sendfile`` on uvicorn's transport, framed as uvicorn frames
    a body (within the Content-Length, or as one chunk); then an empty body message, so that
    uvicorn completes the response (keep-alive, pipelining) itself."""
    if cycle.flow.write_paused and not cycle.disconnected:
        await cycle.flow.drain()
    if cycle.disconnected:
        return
    if cycle.scope["method"] != "HEAD":
        offset = offset or 0
        available = max(0, os.fstat(handle.fileno()).st_size - offset)
        wanted = available if count is None else max(0, min(count, available))
        if not cycle.chunked_encoding:
            wanted = min(wanted, cycle.expected_content_length)
        if cycle.chunked_encoding and wanted:
            cycle.transport.write(b"%x\r\n" % wanted)
        try:
            sent = await asyncio.get_running_loop().sendfile(
                cycle.transport, handle, offset, wanted
            )
        except (ConnectionError, RuntimeError):  # the client went away mid-file
            cycle.disconnected = True
            cycle.transport.close()
            return
        if cycle.chunked_encoding and wanted:
            cycle.transport.write(b"\r\n")
        elif not cycle.chunked_encoding:
            cycle.expected_content_length -= sent
    await send({"type": "http.response.body", "body": b"", "more_body": more})


def create() -> ASGI3Application:
    """What each uvicorn worker runs: cargohold's app, built as ``cargohold serve`` builds it."""
    return cast(ASGI3Application, create_app(load_settings()))


def main() -> None:
    settings = load_settings()
    prepare(settings)
    # As cargohold's server does: a fleet pulling at once means thousands of sockets.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvicorn.run(
        f"{__name__}:create",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.worker_count,
        http=f"{__name__}:FileSendingProtocol",
        loop="asyncio",
        ws="none",
        lifespan="on",
        access_log=False,
        proxy_headers=False,
        log_level="warning",
        timeout_keep_alive=75,  # as cargohold's server
        reset_contextvars=True,  # as cargohold's server: a fresh context for every request
    )


if __name__ == "__main__":
    main()
