"""Publishing a distribution's indexes after every change to what it lists.

The indexes are rendered from the distribution's inputs read at one moment (what it lists,
and the keys that sign), signed, stored as blobs, and written as files of the repository's
tree (``dists/DIST/...``) in one transaction that first checks the inputs are unchanged:
``InRelease`` never names an index that is not there. When they changed, nothing is written:
every change is followed by a publish of its own, so the last one's publish, which nothing
overtakes, lists what every change before it did.

Each index is also written under ``by-hash/SHA256/`` (``Acquire-By-Hash``), where it stays
for ``BY_HASH_KEEP`` after a newer one replaced it: a client that read the previous
``InRelease`` a moment ago still finds the indexes it names.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from anyio import to_thread

from cargohold.meta.deb.queries import Inputs
from cargohold.meta.store import MetadataStore
from cargohold.registry.deb.indexes import by_hash_path, published_pairs, render
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.generic.documents import stored_document
from cargohold.registry.signing import openpgp
from cargohold.registry.signing.keys import RepositoryKeys
from cargohold.storage.base import BlobStore

FORMAT = "deb"
BY_HASH_KEEP = 86400.0  # how long a replaced index stays readable by its hash
PUBLISHER = "cargohold"  # who wrote the index files, in their records
MAX_DISTRIBUTIONS = 1000  # the distributions of a repository published again at once


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

    async def changed(self, repository: str) -> None:
        """What a repository holds changed otherwise than by an upload (a package deleted,
        promoted into it or out of it): if it is a Debian repository, publish its indexes."""
        record = await to_thread.run_sync(self._meta.repositories.get, repository)
        if record is not None and record.format == FORMAT:
            await self.publish_all(repository)

    async def publish_all(self, repository: str) -> None:
        """Publish the indexes of every distribution of ``repository`` again (after a
        delete, a promotion, a new signing key), those emptied by a delete included."""
        listed = await to_thread.run_sync(self._meta.deb.distributions, repository)
        folders = await to_thread.run_sync(
            self._meta.generic.children, repository, "dists", MAX_DISTRIBUTIONS
        )
        named = {f.name for f in folders if f.file is None}
        for distribution in sorted(set(listed) | named):
            await self.publish(repository, distribution)

    async def publish(self, repository: str, distribution: str) -> None:
        """Write the indexes of ``distribution`` as it is now, signed by the keys active
        now; or nothing, when what they are made of changes meanwhile (the change that did
        it publishes them in turn, and what it publishes includes this one's)."""
        base = dists(distribution)
        existing = await to_thread.run_sync(self._meta.generic.under, repository, base)
        listed, inputs = await to_thread.run_sync(self._meta.deb.listed, repository, distribution)
        keys = await self._keys.active(repository)
        now = self._clock()
        published = published_pairs([e.path.removeprefix(f"{base}/") for e in existing])
        rendered = await to_thread.run_sync(
            render, repository, distribution, listed, now, published
        )
        secrets = [key.secret for key in keys]
        files = {
            "Release": rendered.release,
            "InRelease": await to_thread.run_sync(openpgp.clearsign, secrets, rendered.release),
            "Release.gpg": await to_thread.run_sync(openpgp.detach, secrets, rendered.release),
        }
        for path, data in rendered.indexes.items():
            files[path] = files[by_hash_path(path, data)] = data
        # A later second than the indexes replaced: apt revalidates them with
        # If-Modified-Since, to the second.
        before = next((e.updated_at for e in existing if e.path == f"{base}/InRelease"), None)
        stamp = now if before is None else max(now, math.floor(before) + 1)
        records = [
            await stored_document(
                self._store, self._claims, repository, f"{base}/{path}", data, stamp, PUBLISHER
            )
            for path, data in files.items()
        ]
        written = {record.path for record in records}
        remove = [
            old.path
            for old in existing
            if old.path not in written
            and ("/by-hash/" not in old.path or old.updated_at < now - BY_HASH_KEEP)
        ]
        made_of = Inputs(inputs, [key.fingerprint for key in keys], now)
        await to_thread.run_sync(
            self._meta.deb.publish, repository, distribution, made_of, records, remove
        )


__all__ = ["BY_HASH_KEEP", "DebIndexes", "dists"]
