"""API tokens: long-lived secrets a user (or an admin, for a service account) creates,
narrowed to scopes, stored only as a hash, listed without the secret, revocable. This is the
store access control reads tokens through; who may see, create or revoke which token is
decided in ``user_tokens``.

A token reads ``chk_<id>_<secret>``: the id finds the row, the secret's SHA-256 is compared
in constant time. The secret is 256 random bits, so a fast hash is the right one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.errors import BadRequest, Denied, ResourceUnknown
from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import ScopeRecord, TokenRecord
from cargohold.registry.identity.permissions import Action, Grant, Principal, known_actions

PREFIX = "chk_"
_ID_LENGTH = 16
MAX_LIFETIME = 366 * 24 * 3600.0


def looks_like_token(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) > len(PREFIX) + _ID_LENGTH + 1


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scope_grants(scopes: tuple[ScopeRecord, ...] | None) -> tuple[Grant, ...] | None:
    if scopes is None:
        return None
    return tuple(Grant((s.repository,), known_actions(s.actions)) for s in scopes)


@dataclass(frozen=True, slots=True)
class NewToken:
    record: TokenRecord
    secret: str


class ApiTokens:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    def mint(
        self,
        owner: Principal,
        *,
        kind: str,
        description: str,
        scopes: tuple[Grant, ...] | None,
        expires_in: float | None,
    ) -> NewToken:
        """A new token for ``owner``, not stored yet; refused if its scopes reach beyond what
        the owner holds."""
        if scopes is not None:
            for grant in scopes:
                for pattern in grant.patterns:
                    for action in grant.actions:
                        if not _covers(owner, pattern, action):
                            raise Denied(
                                f"{owner.name!r} does not hold {action.value!r} on {pattern!r}; "
                                "a token cannot grant more than its owner holds"
                            )
        if expires_in is not None and not 0 < expires_in <= MAX_LIFETIME:
            raise BadRequest(f"expires_in must be between 1 and {int(MAX_LIFETIME)} seconds")
        now = self._clock()
        token_id = secrets.token_hex(_ID_LENGTH // 2)
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        record = TokenRecord(
            id=token_id,
            owner=owner.name,
            kind=kind,
            description=description,
            secret_hash=_hash(secret),
            scopes=None
            if scopes is None
            else tuple(
                ScopeRecord(p, tuple(sorted(a.value for a in g.actions)))
                for g in scopes
                for p in g.patterns
            ),
            created_at=now,
            expires_at=None if expires_in is None else now + expires_in,
        )
        return NewToken(record, secret)

    async def store(self, record: TokenRecord, effects: Effects = NO_EFFECTS) -> None:
        """Store a minted token, with ``effects``."""
        if not await to_thread.run_sync(self._meta.tokens.create, record, effects):
            raise BadRequest(f"user {record.owner[:128]!r} does not exist")

    def resolve(self, secret: str) -> TokenRecord | None:
        """The live token this secret belongs to (blocking call)."""
        if not looks_like_token(secret):
            return None
        token_id = secret[len(PREFIX) : len(PREFIX) + _ID_LENGTH]
        record = self._meta.tokens.get(token_id)
        expected = record.secret_hash if record is not None else _hash("")
        if not hmac.compare_digest(expected, _hash(secret)) or record is None:
            return None
        if record.expires_at is not None and self._clock() >= record.expires_at:
            return None
        return record

    def live(self, token_id: str) -> TokenRecord | None:
        """The token by id, if not revoked or expired (blocking call)."""
        record = self._meta.tokens.get(token_id)
        if record is None:
            return None
        if record.expires_at is not None and self._clock() >= record.expires_at:
            return None
        return record

    async def get(self, token_id: str) -> TokenRecord:
        record = await to_thread.run_sync(self._meta.tokens.get, token_id)
        if record is None:
            raise ResourceUnknown(f"token {token_id[:40]!r} does not exist or was revoked")
        return record

    async def page(self, owner: str | None, after: str | None, limit: int) -> list[TokenRecord]:
        return await to_thread.run_sync(self._meta.tokens.page, owner, after, limit)

    async def revoke(self, token_id: str, effects: Effects = NO_EFFECTS) -> None:
        """Delete the token, with ``effects``."""
        if not await to_thread.run_sync(self._meta.tokens.delete, token_id, effects):
            raise ResourceUnknown(f"token {token_id[:40]!r} does not exist or was revoked")


def _covers(owner: Principal, pattern: str, action: Action) -> bool:
    """Whether the owner holds ``action`` on every repository ``pattern`` can match."""
    if "*" not in pattern and "?" not in pattern:
        return owner.holds(pattern, action)

    def granted_exactly(grants: tuple[Grant, ...]) -> bool:
        return any(pattern in g.patterns and action in g.actions for g in grants)

    held = owner.admin or granted_exactly(owner.grants)
    if owner.scopes is not None:
        held = held and granted_exactly(owner.scopes)
    return held and not owner.anonymous


__all__ = ["PREFIX", "ApiTokens", "NewToken", "looks_like_token", "scope_grants"]
