"""Who is calling ``/v2``, and the challenge that tells a client how to log in.

Credentials come as HTTP Basic (a password or an API token), as an API token bearer, or as
a bearer token from the registry token service (``/v2/token``), whose ``access`` claims
narrow what the request may do to the images and actions they name.
"""

from __future__ import annotations

from starlette.requests import Request

from cargohold.api.access_log import note_principal
from cargohold.api.credentials import principal_of
from cargohold.core.errors import InsufficientScope, InvalidToken, RegistryError, Unauthorized
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.identity.tokens import looks_like_token
from cargohold.registry.registry import Registry


async def caller(request: Request, registry: Registry) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip()
    if scheme.lower() != "bearer" or looks_like_token(token):
        return await principal_of(request, registry.access)
    holder = await registry.registry_tokens.holder(token)
    note_principal(request.scope, holder)
    return holder


def realm(request: Request, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/") + "/v2/token"
    host = request.headers.get("host") or "{}:{}".format(*(request.scope.get("server") or ("", 0)))
    return f"{request.url.scheme}://{host}/v2/token"


def challenge(
    request: Request, public_url: str | None, service: str, scope: str | None, exc: RegistryError
) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401, as the token-auth spec describes it."""
    if not isinstance(exc, Unauthorized):
        return {}
    parts = [f'realm="{realm(request, public_url)}"', f'service="{service}"']
    if scope:
        parts.append(f'scope="{scope}"')
    if isinstance(exc, InsufficientScope):
        parts.append('error="insufficient_scope"')
    elif isinstance(exc, InvalidToken):
        parts.append('error="invalid_token"')
    return {"WWW-Authenticate": "Bearer " + ",".join(parts)}


__all__ = ["caller", "challenge", "realm"]
