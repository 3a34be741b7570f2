"""What a remote PyPI or npm repository keeps of its upstream besides package files: a
document of a package as the upstream gave it (PyPI's project page, kept as a file of the
repository's tree so the collector keeps it and it is never listed as a package), or the
upstream's versions and dist-tags as the repository's own rows (npm's packument). The cache
follows its upstream: no audit record, no event."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import BlobNotFound
from cargohold.meta.store import MetadataStore
from cargohold.records.generic import GenericFileRecord
from cargohold.records.packages import PackageVersion
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache, ContentCache
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.generic.documents import stored_document
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.storage.base import BlobStore

DOCUMENT_BYTES = 64 * 1024 * 1024  # documents kept in memory, in all
# Who keeps what an upstream sent, in the audit log and the events of the files it publishes.
REMOTE_CACHE = Actor(Principal("remote-cache", service=True), "upstream")


class RemoteCache:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        claims: BlobClaims,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._meta = meta
        self._claims = claims
        self._clock = clock
        # Where each document is, until the next write; documents by digest (content never
        # changes), read from storage once.
        self._records: ChangeAwareCache[tuple[str, str], GenericFileRecord | None] = (
            ChangeAwareCache(meta.changes.read, 10_000, name="package_documents")
        )
        self._documents: ContentCache[str, bytes] = ContentCache(
            DOCUMENT_BYTES, len, name="package_documents"
        )

    async def cached_document(self, key: str, path: str, limit: int) -> bytes | None:
        """The document a remote repository cached at ``path`` (an upstream's page of a
        package, as the format keeps it); None when there is none (or its bytes are gone)."""

        async def load() -> GenericFileRecord | None:
            return await to_thread.run_sync(self._meta.generic.get, key, path)

        record = await self._records.get((key, path), load)
        if record is None or record.size > limit:
            return None
        known = self._documents.get(record.digest)
        if known is not None:
            return known
        chunks: list[bytes] = []
        try:
            async for chunk in self._store.read(Digest.parse(record.digest)):
                chunks.append(chunk)
        except BlobNotFound:
            return None
        data = b"".join(chunks)
        self._documents.put(record.digest, data)
        return data

    async def cache_document(self, repository: RepositoryRecord, path: str, data: bytes) -> None:
        """Keep ``data`` at ``path`` of remote repository ``repository``, replacing what was
        there: a file of its tree (so the collector keeps it), never listed as a package."""
        record = await stored_document(
            self._store, self._claims, repository.key, path, data, self._clock(), "remote"
        )
        await to_thread.run_sync(
            lambda: self._meta.generic.put(record, {}, may_overwrite=True, claimed=True)
        )

    async def mirror(
        self,
        key: str,
        name: str,
        versions: Sequence[PackageVersion],
        tags: Mapping[str, str],
    ) -> None:
        """Make remote repository ``key``'s rows of package ``name`` say what its upstream
        says (see PackageQueries.mirror); no audit record: the cache follows its upstream."""
        await to_thread.run_sync(self._meta.packages.mirror, key, name, versions, tags)


__all__ = ["REMOTE_CACHE", "RemoteCache"]
