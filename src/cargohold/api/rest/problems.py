"""RFC 9457 problem details: how the REST API renders every error."""

from __future__ import annotations

import json

from starlette.responses import Response

from cargohold.api.request_ids import internal_error
from cargohold.core.errors import (
    PolicyViolation,
    RegistryError,
    TooManyRequests,
    Unauthorized,
)


def problem(exc: RegistryError, instance: str) -> Response:
    body = {
        "type": f"https://cargohold.dev/problems/{exc.code.lower().replace('_', '-')}",
        "title": exc.code.replace("_", " ").capitalize(),
        "status": exc.status,
        "detail": exc.message,
        "instance": instance,
        "code": exc.code,
    }
    if isinstance(exc, PolicyViolation):
        # Extension members (RFC 9457 section 3.2): which policy, watch and advisory.
        body["type"] = "https://cargohold.dev/problems/policy-violation"
        body["title"] = "Blocked by policy"
        if isinstance(exc.detail, dict):
            body.update({k: v for k, v in exc.detail.items() if k not in body})
    headers = {"Content-Type": "application/problem+json"}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Basic realm="cargohold"'
    if isinstance(exc, TooManyRequests) and isinstance(exc.detail, dict):
        headers["Retry-After"] = str(exc.detail.get("retry_after", 1))
    return Response(json.dumps(body).encode(), exc.status, headers)


def unexpected_problem(method: str, instance: str) -> Response:
    return problem(internal_error(method, instance), instance)


__all__ = ["problem", "unexpected_problem"]
