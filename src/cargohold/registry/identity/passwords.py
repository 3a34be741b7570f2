"""Password hashing: argon2id; hashes from older releases (scrypt) still verify, and are
replaced by argon2 at the next successful login."""

from __future__ import annotations

import base64
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when the user does not exist, so an unknown name costs as much time as a
# wrong password and names cannot be discovered by timing.
_DECOY = _HASHER.hash("cargohold decoy password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Timing-safe; ``stored`` None (an account without password) never verifies."""
    if stored is None:
        _verify_argon2(password, _DECOY)
        return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    return _verify_argon2(password, stored)


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


def _verify_argon2(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_b64, key_b64 = stored.split("$")
        salt, key = base64.b64decode(salt_b64), base64.b64decode(key_b64)
    except ValueError:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=len(key))
    return hmac.compare_digest(candidate, key)


__all__ = ["hash_password", "needs_rehash", "verify_password"]
