"""Publishing a distribution's indexes after every change to what it lists.

The indexes are rendered from the distribution's inputs read at one moment, signed with the
repository's keys, stored as blobs, and written as files of the repository's tree
(``dists/DIST/...``) in one transaction that first checks the inputs are unchanged (else it
starts over): ``InRelease`` never names an index that is not there, and of two uploads at
once, the indexes published last list both.

Each index is also written under ``by-hash/SHA256/`` (``Acquire-By-Hash``), where it stays
for ``BY_HASH_KEEP`` after a newer one replaced it: a client that read the previous
``InRelease`` a moment ago still finds the indexes it names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import Conflict
from cargohold.meta.store import MetadataStore
from cargohold.records.generic import GenericFileRecord
from cargohold.registry.deb.indexes import by_hash_path, render
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.signing.keys import RepositoryKeys
from cargohold.storage.base import BlobStore

BY_HASH_KEEP = 86400.0  # how long a replaced index stays readable by its hash
ATTEMPTS = 5  # renderings in a row that other writes may overtake before giving up
PUBLISHER = "cargohold"  # who wrote the index files, in their records


def dists(distribution: str) -> str:
    return f"dists/{distribution}"


class DebIndexes:
    def __init__(
        self,
        meta: MetadataStore,
        store: BlobStore,
        claims: BlobClaims,
        keys: RepositoryKeys,
        clock: Callable[[], float],
    ) -> None:
        self._meta = meta
        self._store = store
        self._claims = claims
        self._keys = keys
        self._clock = clock

    async def publish(self, repository: str, distribution: str) -> None:
        """Write the indexes of ``distribution`` as it is now (and the keys active now
        sign them)."""
        for _ in range(ATTEMPTS):
            listed, inputs = await to_thread.run_sync(
                self._meta.deb.listed, repository, distribution
            )
            now = self._clock()
            rendered = await to_thread.run_sync(render, repository, distribution, listed, now)
            files = {
                "Release": rendered.release,
                "InRelease": await self._keys.clearsign(repository, rendered.release),
                "Release.gpg": await self._keys.detach(repository, rendered.release),
            }
            for path, data in rendered.indexes.items():
                files[path] = files[by_hash_path(path, data)] = data
            base = dists(distribution)
            records = [
                await self._stored(repository, f"{base}/{path}", data, now)
                for path, data in files.items()
            ]
            written = {record.path for record in records}
            existing = await to_thread.run_sync(self._meta.generic.under, repository, base)
            remove = [
                old.path
                for old in existing
                if old.path not in written
                and ("/by-hash/" not in old.path or old.updated_at < now - BY_HASH_KEEP)
            ]
            if await to_thread.run_sync(
                self._meta.deb.publish, repository, distribution, inputs, records, remove
            ):
                return
        raise Conflict(
            f"the indexes of {repository}/{dists(distribution)} were overtaken by "
            f"{ATTEMPTS} other changes in a row as they were written; retry"
        )

    async def _stored(
        self, repository: str, path: str, data: bytes, now: float
    ) -> GenericFileRecord:
        digest = Digest("sha256", hashlib.sha256(data).hexdigest())
        await self._claims.claim(digest)
        await self._store.put(digest, data)
        return GenericFileRecord(
            repository,
            path,
            str(digest),
            len(data),
            hashlib.sha1(data, usedforsecurity=False).hexdigest(),
            hashlib.md5(data, usedforsecurity=False).hexdigest(),
            now,
            now,
            PUBLISHER,
        )


__all__ = ["BY_HASH_KEEP", "DebIndexes", "dists"]
