"""Credentials every protocol accepts: HTTP Basic (user with password or API token) and an
API token as ``Authorization: Bearer``. Checked by the registry's AccessControl."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from cargohold.api.access_log import note_principal
from cargohold.core.errors import Unauthorized
from cargohold.registry.identity.access import AccessControl, Principal


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def basic_credentials(header: str) -> tuple[str, str] | None:
    """The user name and secret of a Basic ``Authorization`` value (None when empty)."""
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed Basic credentials") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthorized("malformed Basic credentials: expected user:password")
    if not username and not password:
        return None  # some clients send empty credentials when they have none
    return username, password


async def principal_of(request: Request, access: AccessControl) -> Principal | None:
    """Who is calling: None when anonymous; raises Unauthorized for bad credentials."""
    principal = await _principal_of(request, access)
    note_principal(request.scope, principal)
    return principal


async def _principal_of(request: Request, access: AccessControl) -> Principal | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    client = client_address(request)
    if scheme.lower() == "bearer":
        return await access.authenticate_token(value.strip(), client)
    if scheme.lower() != "basic":
        raise Unauthorized(f"unsupported authorization scheme {scheme[:20]!r}; use Basic or Bearer")
    credentials = basic_credentials(value)
    if credentials is None:
        return None
    return await access.authenticate(*credentials, client)


__all__ = ["basic_credentials", "client_address", "principal_of"]
