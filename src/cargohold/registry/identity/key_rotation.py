"""Rotating the key bearer tokens are signed with, for administrators.

The keys are rows of the metadata store (``keyring``), so the rotation's audit record commits
in one transaction with the new key: both are stored, or neither.
"""

from __future__ import annotations

from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.bearer import BearerTokens
from cargohold.registry.identity.keyring import KeyRing, SigningKey

# Keys replaced this long after a bearer token's lifetime are dropped: every token they signed
# has expired by then, also on nodes whose clocks differ by less than this.
GRACE = 60


class KeyRotation:
    def __init__(
        self, keys: KeyRing, bearer: BearerTokens, access: AccessControl, audit: AuditLog
    ) -> None:
        self._keys = keys
        self._bearer = bearer
        self._access = access
        self._audit = audit

    async def rotate(self, actor: Actor) -> SigningKey:
        """Sign with a new key from now on, on every node; keys that may still have signed a
        live token keep verifying."""
        self._access.require_admin(actor.principal)
        effects = self._audit.entry(actor, "token-key.rotate", "system/token-keys/rotate")
        return await self._keys.rotate(self._bearer.ttl + GRACE, effects)


__all__ = ["KeyRotation"]
