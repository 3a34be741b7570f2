"""The frame every package protocol whose clients print a refusal's status line (PyPI, Debian,
Maven) puts around its routes: which repository a request names, who is calling, the route,
the one rendering of its errors (``api/phrases.py``), and the audit record of a blocked
download or a refused publish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address, principal_of
from cargohold.api.phrases import error_response, unexpected_response
from cargohold.core.errors import PolicyViolation, RegistryError
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.policy.policies import BLOCKED_DOWNLOAD
from cargohold.registry.registry import Registry

T = TypeVar("T")
PUBLISH = "package.publish"


async def serve(
    registry: Registry,
    scope: Scope,
    receive: Receive,
    send: Send,
    split: Callable[[Scope], tuple[str, T]],
    route: Callable[[Request, Principal | None, str, T], Awaitable[Response]],
    *,
    publishing: str,
    conflict: str = "",
) -> None:
    """Answer one request: ``split`` names its repository and the rest of its path (or
    raises), ``route`` answers it; ``publishing`` is the method that publishes (its refusals
    are audited), ``conflict`` starts the reason of a 409."""
    if scope["type"] != "http":
        return
    request = Request(scope, receive)
    method = request.method
    path: str = scope.get("path", "")
    principal = None
    key: str | None = None
    blocked = False
    try:
        key, rest = split(scope)
        principal = await principal_of(request, registry.access)
        response = await route(request, principal, key, rest)
    except ClientDisconnect:
        response = Response(b"", 400)
    except RegistryError as exc:
        blocked = isinstance(exc, PolicyViolation)
        response = error_response(exc, method, conflict=conflict)
    except Exception:
        response = unexpected_response(method, path)
    action = PUBLISH if method == publishing else BLOCKED_DOWNLOAD if blocked else None
    if action is not None and response.status_code >= 400:
        await registry.audit.record(
            principal,
            action,
            path[:1000],
            status=response.status_code,
            client=client_address(request),
            repository=key,
        )
    await response(scope, receive, send)


__all__ = ["serve"]
