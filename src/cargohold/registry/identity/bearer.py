"""Short-lived signed bearer tokens (JWT, ES256), as the registry token service issues them.

The claims follow the distribution token-auth spec: ``sub`` is the account (empty when
anonymous), ``access`` lists what the token grants; ``tid`` names the API token the holder
authenticated with, so revoking that token revokes what was issued from it.

A fleet sends each token it gets back several times (a manifest and every blob of a pull), so
verified claims are remembered by token until the token expires: a token this process issued
is remembered from the moment it is issued, one from another process or node is verified once.
The key id is read from the header here, not with ``jwt.get_unverified_header``, which checks
every character of the whole token in Python a second time (PyJWT's ``decode`` does it too).

A fleet also asks for the same token many times: each machine logs in with the same account
for the same image. A token asked for again (same account, API token, access and signing
key) while at least 90% of its lifetime is left is handed out again, with what is left of its
lifetime as ``expires_in``: one signature for the fleet instead of one per machine, and one
verification per process instead of one per machine. Holding the same token grants exactly
what a fresh one would.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from cargohold.core.bounded import remember
from cargohold.core.errors import InvalidToken
from cargohold.registry.identity.keyring import KeyRing

ISSUER = "cargohold"
_CACHE_LIMIT = 10_000
_REUSE_WHILE_LEFT = 0.9  # of a token's lifetime


@dataclass(frozen=True, slots=True)
class Issued:
    token: str
    expires_in: int
    issued_at: float


@dataclass(frozen=True, slots=True)
class Claims:
    subject: str
    token_id: str | None
    access: tuple[dict[str, Any], ...]
    expires_at: float


class BearerTokens:
    def __init__(self, keys: KeyRing, service: str, ttl: int, clock: Callable[[], float]) -> None:
        self._keys = keys
        self._service = service
        self._ttl = ttl
        self._clock = clock
        self._verified: dict[str, Claims] = {}
        self._issued: dict[tuple[str, str | None, str, str], Issued] = {}  # to hand out again

    @property
    def service(self) -> str:
        return self._service

    @property
    def ttl(self) -> int:
        return self._ttl

    async def issue(
        self, subject: str, token_id: str | None, access: list[dict[str, Any]]
    ) -> Issued:
        now = self._clock()
        key = await self._keys.current()
        same = (subject, token_id, json.dumps(access, sort_keys=True), key.kid)
        earlier = self._issued.get(same)
        if earlier is not None and now - earlier.issued_at <= self._ttl * (1 - _REUSE_WHILE_LEFT):
            left = int(earlier.issued_at) + self._ttl - now
            return Issued(earlier.token, max(1, int(left)), earlier.issued_at)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": subject,
            "aud": self._service,
            "iat": int(now),
            "nbf": int(now) - 1,
            "exp": int(now) + self._ttl,
            "jti": secrets.token_hex(12),
            "access": access,
        }
        if token_id is not None:
            claims["tid"] = token_id
        encoded = jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": key.kid})
        verified = Claims(subject, token_id, tuple(access), float(claims["exp"]))
        remember(self._verified, encoded, verified, _CACHE_LIMIT)
        issued = Issued(encoded, self._ttl, now)
        remember(self._issued, same, issued, _CACHE_LIMIT)
        return issued

    async def verify(self, token: str) -> Claims:
        """The claims of a token this service (any of its nodes) issued and that has not
        expired."""
        claims = self._verified.get(token)
        if claims is None:
            claims = await self._decode(token)
            remember(self._verified, token, claims, _CACHE_LIMIT)
        if self._clock() >= claims.expires_at:
            raise InvalidToken("the bearer token has expired; request a new one")
        return claims

    async def _decode(self, token: str) -> Claims:
        kid = _key_id(token)
        key = await self._keys.find(kid) if kid is not None else None
        if key is None:
            raise InvalidToken("the bearer token was not signed by this registry")
        try:
            payload = jwt.decode(
                token,
                key.private.public_key(),
                algorithms=["ES256"],
                audience=self._service,
                issuer=ISSUER,
                options={
                    "require": ["exp", "iat", "sub", "aud", "iss"],
                    "verify_exp": False,  # checked against the injected clock instead
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the bearer token is not valid: {exc}") from exc
        access = payload.get("access", [])
        token_id = payload.get("tid")
        if not isinstance(access, list) or not isinstance(payload["sub"], str):
            raise InvalidToken("the bearer token's claims are malformed")
        return Claims(
            subject=payload["sub"],
            token_id=token_id if isinstance(token_id, str) else None,
            access=tuple(a for a in access if isinstance(a, dict)),
            expires_at=float(payload["exp"]),
        )


def _key_id(token: str) -> str | None:
    """The ``kid`` of a compact JWS's header, unverified (the signature is checked with the
    key it names, so a forged ``kid`` only picks a key that will not match)."""
    header, dot, _ = token.partition(".")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise InvalidToken("the bearer token is malformed") from exc
    if not dot or not isinstance(decoded, dict):
        raise InvalidToken("the bearer token is malformed")
    kid = decoded.get("kid")
    return kid if isinstance(kid, str) else None


__all__ = ["ISSUER", "BearerTokens", "Claims", "Issued"]
