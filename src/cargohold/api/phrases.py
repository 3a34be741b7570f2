"""Responses whose status line says why: for clients that show a refusal's status line and
not its body (pip prints ``403 Client Error: <reason> for url``, twine ``HTTPError: 400 <reason>``,
apt ``403  <reason> [IP: ...]``, mvn ``status: 403 <reason>``); and the one rendering of an
error for the protocols of such clients (PyPI, Debian), whose message is the reason phrase
(one line, printable ASCII, bounded) and a short text body.
cargohold's server sends the ``reason`` given (see ``server/asgi.py``); another ASGI server
sends the standard phrase, and the body still carries the message."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.request_ids import internal_error
from cargohold.core.errors import RegistryError, TooManyRequests, Unauthorized, Unsupported


class PhrasedResponse(Response):
    def __init__(
        self,
        content: bytes | str,
        status_code: int,
        reason: str,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)
        self.reason = reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
                "reason": self.reason,
            }
        )
        await send({"type": "http.response.body", "body": self.body})
        if self.background is not None:
            await self.background()


MAX_REASON = 300


def reason_phrase(message: str) -> str:
    one_line = " ".join(message.split())
    printable = "".join(c if 32 <= ord(c) < 127 else "?" for c in one_line)
    return printable[:MAX_REASON]


def error_response(exc: RegistryError, method: str, *, conflict: str = "") -> Response:
    """``exc`` for such a client; ``conflict`` starts the message of a 409 (mvn prints
    ``status: 409 <reason>``: a reason that begins "Conflict: " still reads as one)."""
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Basic realm="cargohold"'
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(detail.get("retry_after", 1))
    if isinstance(exc, Unsupported) and "allowed" in detail:
        headers["Allow"] = ", ".join(detail["allowed"])
    if "size" in detail and exc.status == 416:
        headers["Content-Range"] = f"bytes */{detail['size']}"
    message = f"{conflict}{exc.message}" if exc.status == 409 else exc.message
    body = (message + "\n").encode()
    if method == "HEAD":
        headers["Content-Length"] = str(len(body))
        body = b""
    return PhrasedResponse(body, exc.status, reason_phrase(message), headers)


def unexpected_response(method: str, path: str) -> Response:
    return error_response(internal_error(method, path), method)


__all__ = ["PhrasedResponse", "error_response", "reason_phrase", "unexpected_response"]
