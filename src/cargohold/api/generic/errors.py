"""How the generic API renders errors, as Artifactory does:
``{"errors": [{"status": 404, "message": "..."}]}``.

A file over a quota is refused with 413 and RFC 9457 problem JSON, which carries the same
``errors`` member for clients that read Artifactory's shape."""

from __future__ import annotations

import json

from starlette.responses import Response

from cargohold.api.request_ids import internal_error
from cargohold.core.errors import (
    QuotaExceeded,
    RegistryError,
    TooManyRequests,
    Unauthorized,
    Unsupported,
)

QUOTA_STATUS = 413


def error_response(exc: RegistryError, method: str) -> Response:
    if isinstance(exc, QuotaExceeded):
        return _quota_problem(exc, method)
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


def _quota_problem(exc: QuotaExceeded, method: str) -> Response:
    doc: dict[str, object] = {
        "type": "https://cargohold.dev/problems/quota-exceeded",
        "title": "Quota exceeded",
        "status": QUOTA_STATUS,
        "detail": exc.message,
        "code": "QUOTA_EXCEEDED",
    }
    if isinstance(exc.detail, dict):
        doc.update({k: v for k, v in exc.detail.items() if k not in doc})
    doc["errors"] = [{"status": QUOTA_STATUS, "message": exc.message}]
    body = json.dumps(doc).encode()
    headers = {"Content-Type": "application/problem+json", "Content-Length": str(len(body))}
    return Response(b"" if method == "HEAD" else body, QUOTA_STATUS, headers)


def unexpected_response(method: str, path: str) -> Response:
    return error_response(internal_error(method, path), method)


__all__ = ["error_response", "unexpected_response"]
