"""How the generic API renders errors, as Artifactory does:
``{"errors": [{"status": 404, "message": "..."}]}``."""

from __future__ import annotations

import json

from starlette.responses import Response

from cargohold.api.request_ids import internal_error
from cargohold.core.errors import RegistryError, TooManyRequests, Unauthorized, Unsupported


def error_response(exc: RegistryError, method: str) -> Response:
    body = json.dumps({"errors": [{"status": exc.status, "message": exc.message}]}).encode()
    headers = {"Content-Type": "application/json"}
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Basic realm="cargohold"'
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(detail.get("retry_after", 1))
    if isinstance(exc, Unsupported) and "allowed" in detail:
        headers["Allow"] = ", ".join(detail["allowed"])
    if "size" in detail and exc.status == 416:
        headers["Content-Range"] = f"bytes */{detail['size']}"
    if method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(b"", exc.status, headers)
    return Response(body, exc.status, headers)


def unexpected_response(method: str, path: str) -> Response:
    return error_response(internal_error(method, path), method)


__all__ = ["error_response", "unexpected_response"]
