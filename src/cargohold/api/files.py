"""Sending stored bytes, whole or one byte range, the way every protocol serves a blob or a
file: by the server itself where it can (zero-copy), streamed from the blob store otherwise;
and bytes still arriving from a remote repository's upstream, as they arrive."""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.core.errors import RangeNotSatisfiable, RegistryError
from cargohold.core.numbers import bounded_int
from cargohold.metrics import BLOB_BYTES_SERVED
from cargohold.records.artifacts import BlobInfo
from cargohold.registry.registry import Registry
from cargohold.registry.remote.flight import Incoming

_SERVED = BLOB_BYTES_SERVED.labels()
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
PATHSEND = "http.response.pathsend"
ZEROCOPY = "http.response.zerocopysend"
log = logging.getLogger("cargohold.remote")


class BlobResponse(Response):
    """Blob bytes, sent by the server itself where it offers it: the whole blob through the
    ASGI path-send extension, a byte range through zero-copy send; streamed in small chunks
    from the blob store otherwise."""

    def __init__(
        self,
        info: BlobInfo,
        registry: Registry,
        headers: dict[str, str],
        status: int = 200,
        span: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(None, status, headers)
        self._info = info
        self._registry = registry
        self._offset, self._count = span if span is not None else (0, info.size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        extensions = scope.get("extensions") or {}
        path = self._info.path
        whole = self._offset == 0 and self._count == self._info.size
        if path is not None and whole and PATHSEND in extensions:
            await send({"type": PATHSEND, "path": path})
        elif path is not None and ZEROCOPY in extensions:
            with open(path, "rb") as handle:  # noqa: ASYNC230 - opening is not reading
                await send(
                    {"type": ZEROCOPY, "file": handle, "offset": self._offset, "count": self._count}
                )
        else:
            async for chunk in self._registry.blobs.read(self._info, self._offset, self._count):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        _SERVED.value += self._count


class IncomingResponse(Response):
    """The bytes of a blob or file while they arrive from an upstream, with a Content-Length
    when the upstream said the size (chunked otherwise). Should the fetch fail midway, the
    response ends unfinished: the server closes the connection, and the client sees a
    download cut short, as it would from the upstream itself; nothing of it was kept."""

    def __init__(self, incoming: Incoming, headers: dict[str, str]) -> None:
        # Not Response.__init__: with no body to measure, it would announce "Content-Length:
        # 0" for an object whose size is not known yet.
        self.status_code = 200
        self.background = None
        length = {} if incoming.size is None else {"Content-Length": str(incoming.size)}
        self.init_headers({**headers, **length})
        self._incoming = incoming

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        sent = 0
        try:
            async for chunk in self._incoming.chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
        except RegistryError as exc:
            log.warning(
                "%s from an upstream ended after %d bytes: %s",
                self._incoming.digest,
                sent,
                exc.message,
            )
            return
        finally:
            _SERVED.value += sent
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def not_modified(request: Request, etag: str) -> bool:
    """Whether the client's copy is current by its ``If-None-Match`` (``etag`` quoted)."""
    wanted = request.headers.get("if-none-match")
    if wanted is None:
        return False
    return wanted.strip() == "*" or etag in (tag.strip() for tag in wanted.split(","))


def ranged_response(
    range_header: str | None, info: BlobInfo, registry: Registry, headers: dict[str, str]
) -> BlobResponse:
    """The whole blob (200), or the one byte range ``range_header`` asks for (206, with its
    Content-Range); ``headers`` are the whole blob's."""
    wanted = byte_range(range_header, info.size)
    if wanted is None:
        return BlobResponse(info, registry, headers)
    start, end = wanted
    headers = {
        **headers,
        "Content-Length": str(end - start + 1),
        "Content-Range": f"bytes {start}-{end}/{info.size}",
    }
    return BlobResponse(info, registry, headers, 206, (start, end - start + 1))


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) of a single-range request; None for the whole blob."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        # Several ranges or another unit: answering with the whole blob is allowed.
        return None
    first, last = match.groups()
    if first == "" and last == "":
        raise _unsatisfiable(header, size)
    if first == "":
        suffix = bounded_int(last)
        if suffix == 0:
            raise _unsatisfiable(header, size)
        # A suffix past any size asks for the whole blob (RFC 9110, 14.1.2).
        return (0 if suffix is None else max(0, size - suffix)), size - 1
    start = bounded_int(first)
    if start is None or start >= size:
        raise _unsatisfiable(header, size)
    stop = bounded_int(last)
    end = size - 1 if stop is None else min(stop, size - 1)
    if end < start:
        raise _unsatisfiable(header, size)
    return start, end


def _unsatisfiable(header: str, size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"range {header[:100]!r} is not satisfiable for a blob of {size} bytes",
        {"size": size},
    )


__all__ = [
    "PATHSEND",
    "ZEROCOPY",
    "BlobResponse",
    "IncomingResponse",
    "byte_range",
    "ranged_response",
]
