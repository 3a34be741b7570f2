"""The ASGI interface as the server speaks it: the callables and messages, and the two
extensions it offers for sending files (path send and zero-copy send)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PATHSEND = "http.response.pathsend"
ZEROCOPY = "http.response.zerocopysend"

__all__ = ["PATHSEND", "ZEROCOPY", "ASGIApp", "Message", "Receive", "Scope", "Send"]
