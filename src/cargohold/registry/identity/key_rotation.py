"""Rotating the key bearer tokens are signed with, for administrators.

The signing keys are files in the data dir (``keyring``), not rows of the metadata store, so
a rotation's audit record cannot commit in one transaction with it: it is recorded on its
own right after the new key is in place. A record that cannot be written is reported in the
server log and does not undo the rotation (``AuditLog.record``).
"""

from __future__ import annotations

from anyio import to_thread

from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.bearer import BearerTokens
from cargohold.registry.identity.keyring import KeyRing, SigningKey

# Keys replaced this long after a bearer token's lifetime are dropped: every token they signed
# has expired by then.
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
        """Sign with a new key from now on; keys that may still have signed a live token
        keep verifying."""
        self._access.require_admin(actor.principal)
        key = await to_thread.run_sync(self._keys.rotate, self._bearer.ttl + GRACE)
        await self._audit.record(
            actor.principal,
            "token-key.rotate",
            "system/token-keys/rotate",
            status=200,
            client=actor.client,
        )
        return key


__all__ = ["KeyRotation"]
