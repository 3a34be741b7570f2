"""The keys bearer tokens are signed with: EC P-256 private keys, one PEM file each, in a
directory of the data dir.

The newest key signs; every key still in the directory verifies. Rotation adds a key and
removes only keys that were replaced longer ago than a token lives, so no valid token is
invalidated. Every worker process notices a rotation by the directory's modification time.
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    created: float
    private: ec.EllipticCurvePrivateKey


class KeyRing:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._keys: dict[str, SigningKey] = {}
        self._seen: int | None = None
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the first key when there is none."""
        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not any(self._directory.glob("*.pem")):
            self._write_new(time.time())

    def current(self) -> SigningKey:
        keys = self._load()
        if not keys:
            raise RuntimeError(f"no token signing key in {self._directory}")
        return max(keys.values(), key=lambda k: (k.created, k.kid))

    def find(self, kid: str) -> SigningKey | None:
        return self._load().get(kid)

    def rotate(self, keep_for: float, now: float | None = None) -> SigningKey:
        """Add a new signing key; drop keys replaced more than ``keep_for`` seconds ago."""
        now = time.time() if now is None else now
        self.ensure()
        new = self._write_new(now)
        ordered = sorted(self._read_all().values(), key=lambda k: (k.created, k.kid))
        for older, newer in itertools.pairwise(ordered):
            if newer.created + keep_for < now:
                (self._directory / f"{older.kid}.pem").unlink(missing_ok=True)
        _fsync_directory(self._directory)
        return new

    def _load(self) -> dict[str, SigningKey]:
        try:
            marker = self._directory.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        with self._lock:
            if marker != self._seen:
                self._keys = self._read_all()
                self._seen = marker
            return self._keys

    def _read_all(self) -> dict[str, SigningKey]:
        keys = {}
        for path in self._directory.glob("*.pem"):
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(private, ec.EllipticCurvePrivateKey):
                continue
            created = int(path.stem.split("-", 1)[0]) / 1000
            keys[path.stem] = SigningKey(path.stem, created, private)
        return keys

    def _write_new(self, now: float) -> SigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        # Key ids sort by creation time in milliseconds, each after every key before it.
        newest = max((k.created for k in self._read_all().values()), default=0.0)
        created_ms = max(int(now * 1000), int(newest * 1000) + 1)
        kid = f"{created_ms}-{secrets.token_hex(4)}"
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        staging = self._directory / f".{kid}.tmp"
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        staging.rename(self._directory / f"{kid}.pem")
        _fsync_directory(self._directory)
        return SigningKey(kid, created_ms / 1000, private)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["KeyRing", "SigningKey"]
