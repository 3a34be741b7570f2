"""The quota check before the work, and each repository's usage.

A push whose size is known before its bytes are read (a monolithic upload, a chunk or a file
sent with Content-Length, an upload about to be completed) is refused before it is read or
stored. Nothing is asked of the database when neither the repository nor the instance has a
quota."""

from __future__ import annotations

from anyio import to_thread

from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import RepositoryRecord


class Quotas:
    def __init__(self, meta: MetadataStore) -> None:
        self._meta = meta

    @property
    def instance_bytes(self) -> int | None:
        return self._meta.quotas.instance_bytes

    def applies(self, repository: RepositoryRecord) -> bool:
        """Whether a push to ``repository`` is limited at all."""
        return repository.quota_bytes is not None or self.instance_bytes is not None

    async def admit(
        self,
        repository: RepositoryRecord,
        digest: str | None,
        size: int,
        path: str | None = None,
    ) -> None:
        """QuotaExceeded if adding ``size`` bytes (the blob ``digest``, None when not known
        yet; the file at ``path``) to ``repository`` exceeds its quota or the instance's."""
        if self.applies(repository):
            await to_thread.run_sync(self._meta.quotas.admit, repository.key, digest, size, path)

    async def usage(self, key: str) -> int:
        """The bytes of the distinct blobs repository ``key`` holds."""
        return await to_thread.run_sync(self._meta.quotas.usage, key)

    async def usages(self, keys: list[str]) -> dict[str, int]:
        """The usage of each of the repositories ``keys``, in one query."""
        if len(keys) == 1:
            return {keys[0]: await self.usage(keys[0])}
        found = await to_thread.run_sync(self._meta.quotas.usage_by_repository, keys)
        return {key: found.get(key, 0) for key in keys}


__all__ = ["Quotas"]
