"""Small files cargohold writes itself into a repository's tree (a distribution's indexes, a
remote repository's copy of an upstream page): their bytes stored and claimed against the
collector, and the record of the file that is to hold them."""

from __future__ import annotations

import hashlib

from cargohold.core.digest import Digest
from cargohold.records.generic import GenericFileRecord
from cargohold.registry.gc.claims import BlobClaims
from cargohold.storage.base import BlobStore


async def stored_document(
    store: BlobStore,
    claims: BlobClaims,
    repository: str,
    path: str,
    data: bytes,
    now: float,
    by: str,
) -> GenericFileRecord:
    """``data`` stored (and claimed: write the record with ``claimed=True``), and the record
    of a file at ``path`` holding it."""
    digest = Digest("sha256", hashlib.sha256(data).hexdigest())
    await claims.claim(digest)
    await store.put(digest, data)
    return GenericFileRecord(
        repository,
        path,
        str(digest),
        len(data),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        now,
        now,
        by,
    )


__all__ = ["stored_document"]
