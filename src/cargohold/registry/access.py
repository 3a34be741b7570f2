"""Who may do what. The one place where access is decided.

For now: users with passwords (the bootstrap admin), admins may do everything, anyone may
read a repository whose ``anonymous_read`` is set. The token flow and per-repository
permissions replace ``AccessControl.check`` without touching its callers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from anyio import to_thread

from cargohold.core.errors import Denied, Unauthorized
from cargohold.meta.records import RepositoryRecord, UserRecord
from cargohold.meta.store import MetadataStore
from cargohold.registry.cache import ChangeAwareCache

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    admin: bool


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, key_b64 = stored.split("$")
        salt, key = base64.b64decode(salt_b64), base64.b64decode(key_b64)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=salt, dklen=len(key), **_SCRYPT)
    return hmac.compare_digest(candidate, key)


class AccessControl:
    def __init__(self, meta: MetadataStore) -> None:
        self._meta = meta
        # Verified credentials, so the deliberately slow hash runs once per password.
        self._verified: ChangeAwareCache[tuple[str, bytes], Principal | None] = ChangeAwareCache(
            meta.changes.read, limit=10_000
        )

    async def authenticate(self, username: str, password: str) -> Principal:
        key = (username, hashlib.sha256(password.encode()).digest())

        async def load() -> Principal | None:
            return await to_thread.run_sync(self._verify, username, password)

        principal = await self._verified.get(key, load)
        if principal is None:
            raise Unauthorized("wrong user name or password")
        return principal

    def _verify(self, username: str, password: str) -> Principal | None:
        user = self._meta.users.get(username)
        if user is None or not verify_password(password, user.password_hash):
            return None
        return Principal(user.name, user.admin)

    def check(
        self, principal: Principal | None, repository: RepositoryRecord, action: Action
    ) -> None:
        """Raise Unauthorized (log in first) or Denied (logged in, not allowed)."""
        if principal is not None and principal.admin:
            return
        if action is Action.READ and repository.anonymous_read:
            return
        if principal is None:
            raise Unauthorized(f"authentication required to {action} repository {repository.key!r}")
        raise Denied(f"user {principal.name!r} may not {action} repository {repository.key!r}")

    def allows(
        self, principal: Principal | None, repository: RepositoryRecord, action: Action
    ) -> bool:
        try:
            self.check(principal, repository, action)
        except (Unauthorized, Denied):
            return False
        return True

    def require_admin(self, principal: Principal | None) -> None:
        if principal is None:
            raise Unauthorized("authentication required")
        if not principal.admin:
            raise Denied(f"user {principal.name!r} is not an administrator")

    def ensure_admin(self, username: str, password: str | None) -> str | None:
        """Create the bootstrap admin if there are no users; returns a generated password."""
        if self._meta.users.count() > 0:
            if password is not None:
                existing = self._meta.users.get(username)
                if existing is not None and not verify_password(password, existing.password_hash):
                    self._meta.users.put(UserRecord(username, hash_password(password), True))
            return None
        generated = None
        if password is None:
            password = generated = secrets.token_urlsafe(18)
        self._meta.users.put(UserRecord(username, hash_password(password), True))
        return generated


__all__ = ["AccessControl", "Action", "Principal", "hash_password", "verify_password"]
