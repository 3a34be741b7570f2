"""The few bytes the monitoring endpoints answer with, sent as raw ASGI messages: a probe
every few seconds from every load balancer should cost next to nothing."""

from __future__ import annotations

from starlette.types import Scope, Send

READ_METHODS = ("GET", "HEAD")


async def answer(
    scope: Scope,
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    *extra: tuple[bytes, bytes],
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


async def refuse_method(scope: Scope, send: Send) -> None:
    message = f"{scope['method']} is not allowed here: use GET or HEAD\n".encode()
    await answer(scope, send, 405, message, b"text/plain; charset=utf-8", (b"allow", b"GET, HEAD"))


__all__ = ["READ_METHODS", "answer", "refuse_method"]
