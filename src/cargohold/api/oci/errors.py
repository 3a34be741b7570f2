"""How the OCI API renders errors: ``{"errors": [{"code", "message", "detail"}]}``."""

from __future__ import annotations

import json

from starlette.responses import Response

from cargohold.api.request_ids import internal_error
from cargohold.core.errors import RegistryError, TooManyRequests, Unauthorized

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}


def error_response(
    exc: RegistryError, method: str, extra: dict[str, str] | None = None
) -> Response:
    entry: dict[str, object] = {"code": exc.code, "message": exc.message}
    if exc.detail is not None:
        entry["detail"] = exc.detail
    body = json.dumps({"errors": [entry]}).encode()
    headers = dict(API_VERSION)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Basic realm="cargohold"'
    if isinstance(exc, TooManyRequests) and isinstance(exc.detail, dict):
        headers["Retry-After"] = str(exc.detail.get("retry_after", 1))
    headers.update(extra or {})
    headers["Content-Type"] = "application/json"
    if method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(b"", exc.status, headers)
    return Response(body, exc.status, headers)


def unexpected_response(method: str, path: str) -> Response:
    return error_response(internal_error(method, path), method)


__all__ = ["API_VERSION", "error_response", "unexpected_response"]
