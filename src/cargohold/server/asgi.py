"""The ASGI interface as the server speaks it: the callables and messages, the two
extensions it offers for sending files (path send and zero-copy send), and one for the status
line: an ``http.response.start`` message may carry ``"reason"``, the reason phrase to send
instead of the standard one (clients such as pip and twine show only the status line of a
refusal, so the reason is where its explanation reaches the user)."""

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
