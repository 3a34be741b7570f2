"""Who is calling, and whether they may do what they ask. The one place access is decided.

Rights are read afresh (through a cache that any write clears) on every request: a
permission removed, a user deleted or a token revoked takes effect at the next request, even
for holders of a bearer token that has not expired yet.
"""

from __future__ import annotations

import hashlib
import secrets

from anyio import to_thread

from cargohold.core.errors import Denied, InsufficientScope, Unauthorized
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import TokenRecord, UserRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache
from cargohold.registry.identity.audit import AuditLog
from cargohold.registry.identity.passwords import hash_password, needs_rehash, verify_password
from cargohold.registry.identity.permissions import Action, Grant, Principal, known_actions
from cargohold.registry.identity.throttle import LoginThrottle
from cargohold.registry.identity.tokens import ApiTokens, looks_like_token, scope_grants

WRONG_CREDENTIALS = "wrong user name or password"


class AccessControl:
    def __init__(
        self,
        meta: MetadataStore,
        tokens: ApiTokens,
        throttle: LoginThrottle,
        audit: AuditLog,
    ) -> None:
        self._meta = meta
        self._tokens = tokens
        self._throttle = throttle
        self._audit = audit
        # Verified credentials, so the deliberately slow hash runs once per password.
        self._verified: ChangeAwareCache[tuple[str, bytes], Principal] = ChangeAwareCache(
            meta.changes.read, limit=10_000
        )
        self._principals: ChangeAwareCache[tuple[str, str | None], Principal | None] = (
            ChangeAwareCache(meta.changes.read, limit=10_000)
        )

    async def authenticate(self, username: str, secret: str, client: str) -> Principal:
        """A user name with a password, or with one of the user's API tokens."""
        key = (username, hashlib.sha256(secret.encode()).digest())

        async def load() -> Principal:
            principal = await to_thread.run_sync(self._verify, username, secret, client)
            if principal is None:
                await self._failed(username, client)
                raise Unauthorized(WRONG_CREDENTIALS)
            return principal

        return await self._verified.get(key, load)

    async def authenticate_token(self, secret: str, client: str) -> Principal:
        """An API token presented on its own (``Authorization: Bearer``)."""
        key = ("", hashlib.sha256(secret.encode()).digest())

        async def load() -> Principal:
            principal = await to_thread.run_sync(self._verify_token, None, secret, client)
            if principal is None:
                await self._failed(None, client)
                raise Unauthorized("the API token is unknown, revoked or expired")
            return principal

        return await self._verified.get(key, load)

    async def principal_for(self, name: str, token_id: str | None) -> Principal | None:
        """The account as it stands now (None if deleted, or its token revoked)."""

        async def load() -> Principal | None:
            return await to_thread.run_sync(self._load_principal, name, token_id)

        return await self._principals.get((name, token_id), load)

    async def _failed(self, username: str | None, client: str) -> None:
        await self._throttle.failed(username, client)
        await self._audit.record(
            username, "login.failed", username or "api-token", status=401, client=client
        )

    def _verify(self, username: str, secret: str, client: str) -> Principal | None:
        if looks_like_token(secret):
            return self._verify_token(username, secret, client)
        self._throttle.check(username, client)
        user = self._meta.users.get(username)
        stored = user.password_hash if user is not None and not user.service else None
        if user is None or not verify_password(secret, stored):
            return None
        if stored is not None and needs_rehash(stored):
            self._meta.users.update(username, {"password_hash": hash_password(secret)})
        self._throttle.succeeded(username, client)
        return self._load_principal(username, None)

    def _verify_token(self, username: str | None, secret: str, client: str) -> Principal | None:
        self._throttle.check(None, client)
        record = self._tokens.resolve(secret)
        if record is None or (username is not None and record.owner != username):
            return None
        return self._principal(record.owner, record)

    def _load_principal(self, name: str, token_id: str | None) -> Principal | None:
        record = None
        if token_id is not None:
            record = self._tokens.live(token_id)
            if record is None or record.owner != name:
                return None
        return self._principal(name, record)

    def _principal(self, name: str, token: TokenRecord | None) -> Principal | None:
        user = self._meta.users.get(name)
        if user is None:
            return None
        groups = self._meta.users.groups_of(name)
        names = [f"user:{name}"] + [f"group:{g}" for g in groups]
        grants = tuple(
            Grant(p.repositories, known_actions(p.actions))
            for p in self._meta.permissions.for_principals(names)
        )
        return Principal(
            name=user.name,
            admin=user.admin,
            service=user.service,
            groups=groups,
            grants=grants,
            scopes=scope_grants(token.scopes) if token is not None else None,
            token_id=token.id if token is not None else None,
        )

    def check(
        self,
        principal: Principal | None,
        repository: RepositoryRecord,
        action: Action,
        image: str | None = None,
    ) -> None:
        """Raise Unauthorized (log in first), Denied (logged in, not allowed) or
        InsufficientScope (allowed, but the bearer token does not say so)."""
        held = principal is not None and principal.holds(repository.key, action)
        if not held and not (action is Action.READ and repository.anonymous_read):
            if principal is None or principal.anonymous:
                raise Unauthorized(
                    f"authentication required to {action} repository {repository.key!r}"
                )
            why = ""
            if principal.scopes is not None and principal.holds_unscoped(repository.key, action):
                why = f" with API token {principal.token_id}, which is limited to its scopes"
            raise Denied(
                f"{principal.name!r}{why} may not {action} repository {repository.key!r}",
                {"repository": repository.key, "action": action.value},
            )
        images = principal.images if principal is not None else None
        if images is not None and image is not None and action not in images.get(image, ()):
            raise InsufficientScope(
                f"the bearer token does not grant {action} on {image!r}; "
                "request a token with that scope",
                {"image": image, "action": action.value},
            )

    def allows(
        self,
        principal: Principal | None,
        repository: RepositoryRecord,
        action: Action,
        image: str | None = None,
    ) -> bool:
        try:
            self.check(principal, repository, action, image)
        except (Unauthorized, Denied):
            return False
        return True

    def require_admin(self, principal: Principal | None) -> Principal:
        if principal is None or principal.anonymous:
            raise Unauthorized("authentication required")
        if not principal.is_admin:
            raise Denied(f"{principal.name!r} is not an administrator (or the token is scoped)")
        return principal

    def require_user(self, principal: Principal | None) -> Principal:
        if principal is None or principal.anonymous:
            raise Unauthorized("authentication required")
        return principal

    def ensure_admin(self, username: str, password: str | None) -> str | None:
        """Create the bootstrap admin if there are no users; returns a generated password.
        With a password given, an existing admin of that name gets it (a way back in)."""
        if self._meta.users.count() > 0:
            if password is not None:
                existing = self._meta.users.get(username)
                if existing is not None and not verify_password(password, existing.password_hash):
                    self._meta.users.update(
                        username, {"password_hash": hash_password(password), "admin": True}
                    )
            return None
        generated = None
        if password is None:
            password = generated = secrets.token_urlsafe(18)
        self._meta.users.put(UserRecord(username, hash_password(password), True))
        return generated


__all__ = ["WRONG_CREDENTIALS", "AccessControl", "Action", "Principal"]
