"""How the Maven API refuses: mvn prints a refusal's status line (``status: 409 <reason>``),
never its body, so the message is the reason phrase (one line, printable ASCII, bounded) and
a short text body. A 409 starts with "Conflict: " so mvn's line still reads as one."""

from __future__ import annotations

from starlette.responses import Response

from cargohold.api.phrases import PhrasedResponse
from cargohold.api.request_ids import internal_error
from cargohold.core.errors import RegistryError, TooManyRequests, Unauthorized, Unsupported

MAX_REASON = 300
REALM = 'Basic realm="cargohold"'


def reason_phrase(message: str) -> str:
    one_line = " ".join(message.split())
    printable = "".join(c if 32 <= ord(c) < 127 else "?" for c in one_line)
    return printable[:MAX_REASON]


def error_response(exc: RegistryError, method: str) -> Response:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = REALM
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(detail.get("retry_after", 1))
    if isinstance(exc, Unsupported) and "allowed" in detail:
        headers["Allow"] = ", ".join(detail["allowed"])
    message = f"Conflict: {exc.message}" if exc.status == 409 else exc.message
    body = (message + "\n").encode()
    if method == "HEAD":
        headers["Content-Length"] = str(len(body))
        body = b""
    return PhrasedResponse(body, exc.status, reason_phrase(message), headers)


def unexpected_response(method: str, path: str) -> Response:
    return error_response(internal_error(method, path), method)


__all__ = ["error_response", "reason_phrase", "unexpected_response"]
