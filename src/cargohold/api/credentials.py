"""HTTP Basic credentials, checked by the registry's AccessControl (every protocol's)."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from cargohold.core.errors import Unauthorized
from cargohold.registry.access import AccessControl, Principal


async def principal_of(request: Request, access: AccessControl) -> Principal | None:
    """Who is calling: None when anonymous; raises Unauthorized for bad credentials."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized(f"unsupported authorization scheme {scheme[:20]!r}; use Basic")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed Basic credentials") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthorized("malformed Basic credentials: expected user:password")
    if not username and not password:
        return None  # some clients send empty credentials when they have none
    return await access.authenticate(username, password)


__all__ = ["principal_of"]
