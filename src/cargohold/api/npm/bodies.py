"""Request bodies of the npm API, read within limits before they are parsed: a publish
(its tarball inside as base64) up to MAX_PUBLISH bytes, any other document up to
MAX_DOCUMENT; an audit's body, which npm gzips, inflated up to MAX_INFLATED."""

from __future__ import annotations

import zlib
from typing import Any

from anyio import to_thread
from starlette.requests import Request

from cargohold.api.reading import read_limited
from cargohold.core.errors import BadRequest, PayloadTooLarge
from cargohold.core.jsondoc import JsonLimits, JsonRejected, read_json

MAX_PUBLISH = 512 * 1024 * 1024  # bytes of a publish document, its base64 tarball included
MAX_DOCUMENT = 16 * 1024 * 1024  # a packument PUT back, a login, a dist-tag
MAX_AUDIT = 16 * 1024 * 1024  # an audit's body, compressed
MAX_INFLATED = 64 * 1024 * 1024  # an audit's body once inflated
MAX_DEPTH = 64


def _too_large(message: str) -> PayloadTooLarge:
    return PayloadTooLarge(message)


def _parse(data: bytes, limit: int) -> Any:
    try:
        return read_json(data, JsonLimits(max_bytes=limit, max_depth=MAX_DEPTH))
    except JsonRejected as exc:
        if exc.too_large:
            raise PayloadTooLarge(exc.message) from exc
        raise BadRequest(f"the body is not a JSON document npm would send: {exc.message}") from exc


async def json_body(request: Request, limit: int = MAX_DOCUMENT) -> Any:
    data = await read_limited(request, limit, _too_large)
    return await to_thread.run_sync(_parse, data, limit)


async def json_object(request: Request, limit: int = MAX_DOCUMENT) -> dict[str, Any]:
    value = await json_body(request, limit)
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value


async def audit_body(request: Request) -> dict[str, Any]:
    data = await read_limited(request, MAX_AUDIT, _too_large)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "deflate"):
        data = await to_thread.run_sync(_inflate, data)
    elif encoding not in ("", "identity"):
        raise BadRequest(f"content encoding {encoding[:40]!r} is not supported; send gzip")
    value = await to_thread.run_sync(_parse, data, MAX_INFLATED)
    if not isinstance(value, dict):
        raise BadRequest("an audit's body is a JSON object: {name: [versions]}")
    return value


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told by the header
    try:
        out = inflater.decompress(data, MAX_INFLATED + 1)
    except zlib.error as exc:
        raise BadRequest(f"the body is not valid gzip: {exc}") from exc
    if len(out) > MAX_INFLATED or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"the body inflates past {MAX_INFLATED} bytes")
    return out


__all__ = ["MAX_PUBLISH", "audit_body", "json_body", "json_object"]
