"""How the npm API renders errors, as the npm registry does: ``{"error": "...", "reason":
"..."}`` with the status npm expects. npm prints the body's ``error`` after the status line
of most failures (``npm error 403 403 Forbidden - GET … - <error>``)."""

from __future__ import annotations

import json

from starlette.responses import Response

from cargohold.api.request_ids import internal_error
from cargohold.core.errors import RegistryError, TooManyRequests, Unauthorized, Unsupported

REALM = 'Basic realm="cargohold npm"'


def error_response(exc: RegistryError, method: str) -> Response:
    body = json.dumps({"error": exc.message, "reason": exc.message}).encode()
    headers = {"Content-Type": "application/json"}
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = REALM
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(detail.get("retry_after", 1))
    if isinstance(exc, Unsupported) and "allowed" in detail:
        headers["Allow"] = ", ".join(detail["allowed"])
    if method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(b"", exc.status, headers)
    return Response(body, exc.status, headers)


def unexpected_response(method: str, path: str) -> Response:
    return error_response(internal_error(method, path), method)


__all__ = ["error_response", "unexpected_response"]
