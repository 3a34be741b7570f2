"""Who is calling, and whether they may do what they ask. The one place access is decided.

A credential verified once is remembered until its account changes (``verified.py``): a
permission removed, a user deleted or a token revoked takes effect at the next request, even
for holders of a bearer token that has not expired yet, while a fleet logging in with one
account hashes its password once per node, not once per machine. Password hashing runs on at
most ``HASHING_THREADS`` threads, so a crowd of cold logins queues for them instead of taking
the hash's memory all at once.

With a user directory (LDAP), a name that is not a local account is the directory's
(``directory.py``): its logins are remembered the same way, for at most the directory cache's
time.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from anyio import CapacityLimiter, to_thread

from cargohold.core.errors import Denied, InsufficientScope, Unauthorized
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import TokenRecord, UserRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import AuditLog
from cargohold.registry.identity.directory import DirectoryLogins
from cargohold.registry.identity.passwords import hash_password, needs_rehash, verify_password
from cargohold.registry.identity.permissions import Action, Grant, Principal, known_actions
from cargohold.registry.identity.throttle import LoginThrottle
from cargohold.registry.identity.tokens import ApiTokens, looks_like_token, scope_grants
from cargohold.registry.identity.verified import Verified, VerifiedCache

WRONG_CREDENTIALS = "wrong user name or password"
HASHING_THREADS = 2


class _AskDirectory:
    """The name is not a local account: the user directory decides."""


ASK_DIRECTORY = _AskDirectory()


class AccessControl:
    def __init__(
        self,
        meta: MetadataStore,
        tokens: ApiTokens,
        throttle: LoginThrottle,
        audit: AuditLog,
        clock: Callable[[], float],
        directory: DirectoryLogins | None = None,
    ) -> None:
        self._meta = meta
        self._directory = directory
        self._tokens = tokens
        self._throttle = throttle
        self._audit = audit
        self._clock = clock
        self._hashing = CapacityLimiter(HASHING_THREADS)
        # Credentials by (user name, SHA-256 of the secret); accounts by (name, token id).
        self._verified: VerifiedCache[tuple[str, bytes]] = VerifiedCache(
            meta.changes.read, meta.users.generation, clock
        )
        self._principals: VerifiedCache[tuple[str, str | None]] = VerifiedCache(
            meta.changes.read, meta.users.generation, clock
        )

    async def authenticate(self, username: str, secret: str, client: str) -> Principal:
        """A user name with a password, or with one of the user's API tokens."""
        key = (username, hashlib.sha256(secret.encode()).digest())

        async def verify() -> Verified:
            limiter = None if looks_like_token(secret) else self._hashing
            verified = await to_thread.run_sync(
                self._verify, username, secret, client, limiter=limiter
            )
            if verified is ASK_DIRECTORY:
                verified = await self._verify_in_directory(username, secret, client)
            if not isinstance(verified, Verified):
                await self._failed(username, client)
                raise Unauthorized(WRONG_CREDENTIALS)
            return verified

        # A lock stops a remembered credential too (API tokens are not locked by user name).
        await self._throttle.check_remembered(
            None if looks_like_token(secret) else username, client
        )
        principal = await self._verified.get(key, verify)
        if principal is None:  # verify() raises instead; this keeps the types honest
            raise Unauthorized(WRONG_CREDENTIALS)
        return principal

    async def authenticate_token(self, secret: str, client: str) -> Principal:
        """An API token presented on its own (``Authorization: Bearer``)."""
        key = ("", hashlib.sha256(secret.encode()).digest())
        refused = "the API token is unknown, revoked or expired"

        async def verify() -> Verified:
            verified = await to_thread.run_sync(self._verify_token, None, secret, client)
            if verified is None:
                await self._failed(None, client)
                raise Unauthorized(refused)
            return verified

        await self._throttle.check_remembered(None, client)
        principal = await self._verified.get(key, verify)
        if principal is None:
            raise Unauthorized(refused)
        return principal

    async def principal_for(self, name: str, token_id: str | None) -> Principal | None:
        """The account as it stands now (None if deleted, or its token revoked)."""

        async def verify() -> Verified:
            return await to_thread.run_sync(self._load_principal, name, token_id)

        return await self._principals.get((name, token_id), verify)

    async def _failed(self, username: str | None, client: str) -> None:
        await self._throttle.failed(username, client)
        await self._audit.record(
            username, "login.failed", username or "api-token", status=401, client=client
        )

    def _verify(self, username: str, secret: str, client: str) -> Verified | _AskDirectory | None:
        if looks_like_token(secret):
            return self._verify_token(username, secret, client)
        self._throttle.check(username, client)
        generation = self._meta.users.generation(username)  # before the hash it vouches for
        user = self._meta.users.get(username)
        if self._directory is not None and (user is None or user.directory):
            return ASK_DIRECTORY  # not a local account (directory.py says why)
        stored = user.password_hash if user is not None and not user.service else None
        if user is None or not verify_password(secret, stored):
            return None
        if stored is not None and needs_rehash(stored):  # moves the generation: verified anew
            self._meta.users.update(username, {"password_hash": hash_password(secret)})
        self._throttle.succeeded(username, client)
        return self._load_principal(username, None, generation)

    async def _verify_in_directory(
        self, username: str, secret: str, client: str
    ) -> Verified | None:
        directory = self._directory
        if directory is None:
            return None
        account = await directory.verify(username, secret)
        if account is None:
            return None

        def login() -> Verified | None:
            if not directory.sync(username, account, client):
                return None
            self._throttle.succeeded(username, client)
            found = self._load_principal(username, None)
            expires_at = self._clock() + directory.cache_seconds
            return Verified(found.principal, found.generation, expires_at)

        return await to_thread.run_sync(login)

    def _verify_token(self, username: str | None, secret: str, client: str) -> Verified | None:
        self._throttle.check(None, client)
        record = self._tokens.resolve(secret)
        if record is None or (username is not None and record.owner != username):
            return None
        verified = self._load_principal(record.owner, record.id)
        return verified if verified.principal is not None else None

    def _load_principal(
        self, name: str, token_id: str | None, generation: int | None = None
    ) -> Verified:
        """The account with its generation, read first (or before, by the caller): a change
        made while the rest is read moves the generation past the one remembered, so it is
        read again next time."""
        if generation is None:
            generation = self._meta.users.generation(name)
        record = None
        if token_id is not None:
            record = self._tokens.live(token_id)
            if record is None or record.owner != name:
                return Verified(None, None)
        principal = self._principal(name, record)
        expires_at = record.expires_at if record is not None else None
        return Verified(principal, generation, expires_at)

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
