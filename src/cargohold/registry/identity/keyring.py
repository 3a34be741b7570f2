"""The keys bearer tokens are signed with: EC P-256 private keys kept in the metadata store,
so that every node signs and verifies with the same keys, and a token issued by one node is
valid on all.

The newest key signs; every key still stored verifies. Rotation adds a key and drops only
keys replaced longer ago than a token lives, so no valid token is invalidated. Each process
holds the keys in memory and reads them again when the metadata change marker moves (a
rotation on any node is a write), and also when a token names a key newer than every key it
holds: one another node made a moment ago, before this one saw the marker move (key ids
start with their creation time, and a new key is newer than every other). One read runs at
a time; the requests that ask while it runs share the next one, so a crowd of requests, or of
tokens with made-up key ids, costs two reads, not one each.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio import to_thread
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import TokenKeyRecord
from cargohold.registry.identity.key_files import read_key_files

log = logging.getLogger("cargohold.identity")


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    created: float
    private: ec.EllipticCurvePrivateKey


class KeyRing:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float] = time.time) -> None:
        self._meta = meta
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._newest: SigningKey | None = None
        self._newest_ms = 0
        self._seen: int | None = None  # the change marker read before the keys were
        self._reads = 0  # reads begun: a waiter served by a read begun after it asked
        self._lock = anyio.Lock()

    def ensure(self, legacy: Path | None = None) -> None:
        """Create the first key when there is none (blocking; run at start-up). Keys an older
        version kept as files in ``legacy`` become the first keys instead, so that the tokens
        they signed keep verifying; the files are left in place and no longer read."""
        if legacy is not None and not self._meta.token_keys.all():
            found = read_key_files(legacy)
            if self._meta.token_keys.import_first(found):
                log.warning(
                    "imported %d token signing key%s from %s into the database; that "
                    "directory is no longer used and can be deleted",
                    len(found),
                    "" if len(found) == 1 else "s",
                    legacy,
                )
        self._meta.token_keys.create_first(_pem(_generate()), self._clock())

    async def current(self) -> SigningKey:
        """The key that signs: the newest."""
        await self._read()
        if self._newest is None:  # started without ``ensure``
            await to_thread.run_sync(self.ensure)
            await self._read(force=True)
        if self._newest is None:
            raise RuntimeError("no token signing key in the database")
        return self._newest

    async def find(self, kid: str) -> SigningKey | None:
        """The key named ``kid``, if it still verifies."""
        keys = await self._read()
        if kid not in keys and _created_ms(kid) > self._newest_ms:
            keys = await self._read(force=True)
        return keys.get(kid)

    async def rotate(self, keep_for: float, effects: Effects = NO_EFFECTS) -> SigningKey:
        """Sign with a new key from now on, on every node; drop keys replaced more than
        ``keep_for`` seconds ago; commit ``effects`` with the change."""
        private = _generate()
        stored = await to_thread.run_sync(
            self._meta.token_keys.rotate, _pem(private), self._clock(), keep_for, effects
        )
        await self._read(force=True)
        return SigningKey(stored.kid, stored.created, private)

    async def _read(self, *, force: bool = False) -> dict[str, SigningKey]:
        """The keys, read again when the marker moved since they were (or when ``force``)."""
        marker = self._meta.changes.read()
        if not force and marker == self._seen:
            return self._keys
        asked = self._reads
        async with self._lock:
            if self._reads == asked:  # else a read begun after this call saw what it needs
                self._reads += 1
                stored = await to_thread.run_sync(self._meta.token_keys.all)
                self._keys = {k.kid: self._keys.get(k.kid) or _signing_key(k) for k in stored}
                self._newest = self._keys[stored[-1].kid] if stored else None
                self._newest_ms = round(stored[-1].created * 1000) if stored else 0
                self._seen = marker
        return self._keys


def _generate() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(private: ec.EllipticCurvePrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _signing_key(stored: TokenKeyRecord) -> SigningKey:
    private = serialization.load_pem_private_key(stored.private_key.encode(), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise TypeError(f"token signing key {stored.kid} is not an EC key")
    return SigningKey(stored.kid, stored.created, private)


def _created_ms(kid: str) -> int:
    """When the key ``kid`` names was created, from the id (``<ms>-<random>``); 0 for an id
    of another shape, which no key of this registry has."""
    head = kid.split("-", 1)[0]
    return int(head) if head.isascii() and head.isdigit() and len(head) <= 15 else 0


__all__ = ["KeyRing", "SigningKey"]
