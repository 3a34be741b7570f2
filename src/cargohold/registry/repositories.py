"""Repositories: create, list, delete; the defaults of a new instance."""

from __future__ import annotations

from collections.abc import Sequence

from anyio import to_thread

from cargohold.core.errors import (
    NameUnknown,
    RepositoryExists,
    RepositoryInvalid,
    RepositoryUnknown,
)
from cargohold.core.names import validate_repository_key
from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache

KINDS = ("local",)
DEFAULT_REPOSITORIES = ("dev", "staging", "prod")


class Repositories:
    def __init__(self, meta: MetadataStore, formats: Sequence[str]) -> None:
        self._meta = meta
        self._formats = tuple(formats)
        self._cache: ChangeAwareCache[str, RepositoryRecord | None] = ChangeAwareCache(
            meta.changes.read
        )

    async def find(self, key: str) -> RepositoryRecord | None:
        async def load() -> RepositoryRecord | None:
            return await to_thread.run_sync(self._meta.repositories.get, key)

        return await self._cache.get(key, load)

    async def get(self, key: str) -> RepositoryRecord:
        record = await self.find(key)
        if record is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        return record

    async def for_image(self, key: str) -> RepositoryRecord:
        """The repository an image name starts with, in the registry protocol's words."""
        record = await self.find(key)
        if record is None:
            raise NameUnknown(
                f"repository {key!r} does not exist: the first path segment of an image name "
                f"is the repository key; create it with `cargohold repo create {key}`",
                {"repository": key},
            )
        if record.format != "docker":
            raise NameUnknown(
                f"repository {key!r} holds {record.format} artifacts, not container images; "
                "push images to a docker repository",
                {"repository": key, "format": record.format},
            )
        return record

    async def all(self) -> list[RepositoryRecord]:
        return await to_thread.run_sync(self._meta.repositories.list)

    async def create(
        self,
        key: str,
        format: str = "docker",
        kind: str = "local",
        anonymous_read: bool = False,
        description: str = "",
        immutable_tags: bool = False,
    ) -> RepositoryRecord:
        validate_repository_key(key)
        if format not in self._formats:
            raise RepositoryInvalid(
                f"format {format!r} is not supported yet; supported: {', '.join(self._formats)}"
            )
        if kind not in KINDS:
            raise RepositoryInvalid(
                f"kind {kind!r} is not supported yet; supported: {', '.join(KINDS)}"
            )
        record = RepositoryRecord(key, format, kind, anonymous_read, description, immutable_tags)
        if not await to_thread.run_sync(self._meta.repositories.create, record):
            raise RepositoryExists(f"repository {key!r} already exists")
        return record

    async def update(
        self,
        key: str,
        *,
        anonymous_read: bool | None = None,
        description: str | None = None,
        immutable_tags: bool | None = None,
    ) -> RepositoryRecord:
        changes: dict[str, object] = {}
        if immutable_tags is not None:
            changes["immutable_tags"] = immutable_tags
        if anonymous_read is not None:
            changes["anonymous_read"] = anonymous_read
        if description is not None:
            changes["description"] = description
        if changes and not await to_thread.run_sync(self._meta.repositories.update, key, changes):
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        record = await to_thread.run_sync(self._meta.repositories.get, key)
        if record is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        return record

    async def delete(self, key: str) -> None:
        if not await to_thread.run_sync(self._meta.repositories.delete, key):
            raise RepositoryUnknown(f"repository {key!r} does not exist")

    def ensure_defaults(self) -> list[str]:
        """Create dev, staging and prod on a new instance; returns the keys created."""
        if self._meta.repositories.list():
            return []
        for key in DEFAULT_REPOSITORIES:
            immutable = key == "prod"  # what reached prod is never overwritten
            self._meta.repositories.create(
                RepositoryRecord(key, "docker", "local", False, immutable_tags=immutable)
            )
        return list(DEFAULT_REPOSITORIES)


__all__ = ["DEFAULT_REPOSITORIES", "KINDS", "Repositories"]
