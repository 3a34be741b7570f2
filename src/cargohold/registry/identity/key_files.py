"""Signing keys as versions before the keys moved into the database kept them: one PEM file
per key in ``DATA_DIR/token-keys/``, named after its key id, which starts with the key's
creation time in milliseconds. They are read at start-up only until they are imported.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cargohold.records.identity import TokenKeyRecord

log = logging.getLogger("cargohold.identity")

_KID = re.compile(r"[0-9]{1,15}-[0-9a-f]{1,32}")


def read_key_files(directory: Path) -> list[TokenKeyRecord]:
    """The keys in ``directory``, oldest first (none when there is no such directory). A
    file that is not such a key is named in the log and left out; its content never is."""
    if not directory.is_dir():
        return []
    keys = []
    for path in sorted(directory.glob("*.pem")):
        private = _private_key(path) if _KID.fullmatch(path.stem) else None
        if private is None:
            log.warning("%s is not a token signing key cargohold wrote: not imported", path)
            continue
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        created = int(path.stem.split("-", 1)[0]) / 1000
        keys.append(TokenKeyRecord(path.stem, created, pem.decode("ascii")))
    return sorted(keys, key=lambda k: (k.created, k.kid))


def _private_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        return None
    return private if isinstance(private.curve, ec.SECP256R1) else None  # ES256 signs with P-256


__all__ = ["read_key_files"]
