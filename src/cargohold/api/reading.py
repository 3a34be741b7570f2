"""A request body read within a size limit, for every protocol: a declared Content-Length
over the limit is refused before a byte is read, a stream that passes it as soon as it does."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from cargohold.core.errors import RegistryError
from cargohold.core.numbers import bounded_int


async def read_limited(
    request: Request, limit: int, too_large: Callable[[str], RegistryError]
) -> bytes:
    """The whole body; ``too_large(message)`` is raised once it is known to pass ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        size = bounded_int(declared)
        if size is None or size > limit:
            raise too_large(f"the body is {declared[:40]} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(f"the body passes the limit of {limit} bytes")
    return bytes(body)


__all__ = ["read_limited"]
