"""API tokens as their users ask for them: each user lists, reads, creates and revokes its own
tokens; an administrator anyone's, and creates tokens for other accounts (a service account has
no password, so its tokens are made for it). A creation or revocation commits its audit record
with it.

``ApiTokens`` (``tokens``) is the store underneath, which access control reads tokens
through; the decisions about who may are made here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.records.identity import TokenRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import (
    Grant,
    Principal,
    parse_actions,
    validate_pattern,
)
from cargohold.registry.identity.tokens import ApiTokens, NewToken

KINDS = ("api", "cli")
MAX_DESCRIPTION = 500
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class TokenOrder:
    """What a caller asks a new token to be: ``owner`` None for itself, ``scopes`` as sent
    (each ``{"repository": ..., "actions": [...]}``, checked here), ``expires_in`` in seconds
    (None: never)."""

    owner: str | None
    kind: str
    description: str
    scopes: Sequence[Mapping[str, object]] | None
    expires_in: float | None


class UserTokens:
    def __init__(self, tokens: ApiTokens, access: AccessControl, audit: AuditLog) -> None:
        self._tokens = tokens
        self._access = access
        self._audit = audit

    async def page(
        self, principal: Principal | None, owner: str | None, after: str | None, limit: int
    ) -> list[TokenRecord]:
        """A page of ``owner``'s tokens (None: the caller's own); another's for an
        administrator only."""
        user = self._access.require_user(principal)
        owner = owner or user.name
        if owner != user.name:
            self._access.require_admin(principal)
        return await self._tokens.page(owner, after, limit)

    async def get(self, principal: Principal | None, token_id: str) -> TokenRecord:
        """A token of the caller's own, or any for an administrator; to anyone else it does not
        exist."""
        user = self._access.require_user(principal)
        record = await self._tokens.get(token_id)
        if record.owner != user.name and not user.is_admin:
            raise ResourceUnknown(f"token {record.id!r} does not exist or was revoked")
        return record

    async def create(
        self, actor: Actor, read_order: Callable[[], Awaitable[TokenOrder]]
    ) -> NewToken:
        """A new token, as the order ``read_order`` reads (it is read once the caller is known
        to be a user) asks; for another owner than the caller only by an administrator."""
        user = self._access.require_user(actor.principal)
        order = await read_order()
        owner = user
        if order.owner is not None and order.owner != user.name:
            self._access.require_admin(actor.principal)
            found = await self._access.principal_for(order.owner, None)
            if found is None:
                raise BadRequest(f"user {order.owner[:128]!r} does not exist")
            owner = found
        if order.kind not in KINDS:
            raise BadRequest(f"kind must be one of: {', '.join(KINDS)}")
        scopes = None if order.scopes is None else tuple(_scope(s) for s in order.scopes)
        new = self._tokens.mint(
            owner,
            kind=order.kind,
            description=order.description[:MAX_DESCRIPTION],
            scopes=scopes,
            expires_in=order.expires_in,
        )
        effects = self._audit.entry(actor, "token.create", f"tokens/{new.record.id}", status=201)
        await self._tokens.store(new.record, effects)
        return new

    async def refresh_token(self, actor: Actor, client_id: str | None) -> NewToken:
        """A refresh token for a user who logged in with its password to the registry's token
        service and asked to stay logged in (docker's ``offline_token``): an API token of its
        own, listed and revocable like any other."""
        user = self._access.require_user(actor.principal)
        new = self._tokens.mint(
            user,
            kind="refresh",
            description=f"{(client_id or 'registry client')[:64]} login from {actor.client}",
            scopes=None,
            expires_in=REFRESH_TOKEN_LIFETIME,
        )
        effects = self._audit.entry(actor, "token.create", new.record.id, status=201)
        await self._tokens.store(new.record, effects)
        return new

    async def revoke(self, actor: Actor, token_id: str) -> None:
        """Revoke a token the caller may see (``get``)."""
        record = await self.get(actor.principal, token_id)
        effects = self._audit.entry(actor, "token.delete", f"tokens/{record.id}", status=204)
        await self._tokens.revoke(record.id, effects)


def _scope(raw: Mapping[str, object]) -> Grant:
    unknown = set(raw) - {"repository", "actions"}
    if unknown:
        raise BadRequest(f"a scope has 'repository' and 'actions', not {sorted(unknown)[0]!r}")
    actions = raw.get("actions")
    if not isinstance(actions, list):
        raise BadRequest("a scope's 'actions' must be a list")
    return Grant((validate_pattern(raw.get("repository")),), parse_actions(actions))


__all__ = ["KINDS", "REFRESH_TOKEN_LIFETIME", "TokenOrder", "UserTokens"]
