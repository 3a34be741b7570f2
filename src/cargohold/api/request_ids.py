"""Every response carries an ``X-Request-Id``; an internal error is logged as one line with
that id, and the client is given the id instead of a traceback.

A proxy in front may hand its own id (``X-Request-Id`` on the request): it is kept when it
is short and plain, so one id follows a request through the proxy's log and cargohold's.
Every response also says ``X-Content-Type-Options: nosniff``: no browser is to guess a type
for bytes a client uploaded.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys
import traceback

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cargohold.core.errors import RegistryError

_ID = re.compile(rb"^[A-Za-z0-9._:-]{8,64}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

log = logging.getLogger("cargohold.errors")


class RequestIds:
    """Wraps the root ASGI app: an id per request, in the context and on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = _current.set(request_id)
        stamp = [(b"x-request-id", request_id.encode()), (b"x-content-type-options", b"nosniff")]

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *stamp]}
            await send(message)

        try:
            await self._app(scope, receive, stamped)
        finally:
            _current.reset(token)


def internal_error(method: str, path: str) -> RegistryError:
    """Log the exception being handled as one line with the request id, and return the
    error the client gets: the id to quote, nothing of the server's insides."""
    request_id = _current.get()
    kind, exc, tb = sys.exc_info()
    where = ""
    if tb is not None:
        frame = traceback.extract_tb(tb)[-1]
        where = f" at {frame.name} ({frame.filename.rpartition('/')[2]}:{frame.lineno})"
    name = kind.__name__ if kind is not None else "unknown"
    log.error(
        "internal error request_id=%s method=%s path=%r exception=%s: %r%s",
        request_id,
        method,
        path[:200],
        name,
        str(exc)[:500],
        where,
    )
    log.debug("internal error request_id=%s", request_id, exc_info=True)
    return RegistryError(
        f"internal error (request id {request_id}); an operator can find it in the server log"
    )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id" and _ID.match(value):
            return str(value.decode())
    return secrets.token_hex(12)


__all__ = ["RequestIds", "internal_error"]
