"""A request head as the server reads it: its size limits, the answer to one it cannot
take, and the ASGI scope made of one it can."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httptools

from cargohold.server.access import SLOT
from cargohold.server.asgi import PATHSEND, ZEROCOPY

MAX_HEAD_BYTES = 64 * 1024  # request line and header fields, as parsed
MAX_HEAD_RAW = 1024 * 1024  # bytes received while still inside a request head
_MAX_LENGTH_DIGITS = 19  # a Content-Length past 2^63 is not one to plan with

TOO_LARGE = (
    b"431 Request Header Fields Too Large",
    f"request line and headers exceed {MAX_HEAD_BYTES} bytes".encode(),
)


def refusal(error: Exception, head_bytes: int, in_url: bool) -> tuple[bytes, bytes]:
    """Status line and message for a request httptools could not parse."""
    if head_bytes > MAX_HEAD_BYTES and in_url:
        return b"414 URI Too Long", f"the request target exceeds {MAX_HEAD_BYTES} bytes".encode()
    if head_bytes > MAX_HEAD_BYTES:
        return TOO_LARGE
    return b"400 Bad Request", f"malformed HTTP request: {error}".encode()


def content_length(value: bytes) -> int | None:
    """The body size a request declares, if it is a sane number (httptools enforces the
    framing itself)."""
    digits = value.strip(b" \t")
    return int(digits) if digits.isdigit() and len(digits) <= _MAX_LENGTH_DIGITS else None


def http_scope(
    parser: httptools.HttpRequestParser,
    url: bytes,
    headers: list[tuple[bytes, bytes]],
    server: tuple[str, int],
    client: tuple[str, int] | None,
    scheme: str = "http",
) -> dict[str, Any]:
    parsed = httptools.parse_url(url)
    raw_path = parsed.path
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": parser.get_http_version(),
        "server": server,
        "client": client,
        "scheme": scheme,
        "method": parser.get_method().decode("ascii"),
        "root_path": "",
        "path": unquote(raw_path.decode("ascii", "replace")),
        "raw_path": raw_path,
        "query_string": parsed.query or b"",
        "headers": headers,
        "extensions": {PATHSEND: {}, ZEROCOPY: {}},
        SLOT: {},  # for the access log: the app names the principal in it
    }


__all__ = ["MAX_HEAD_BYTES", "MAX_HEAD_RAW", "content_length", "http_scope", "refusal"]
