"""Responses whose status line says why: for clients that show a refusal's status line and
not its body (pip prints ``403 Client Error: <reason> for url``, twine ``HTTPError: 400 <reason>``).
cargohold's server sends the ``reason`` given (see ``server/asgi.py``); another ASGI server
sends the standard phrase, and the body still carries the message."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


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


__all__ = ["PhrasedResponse"]
