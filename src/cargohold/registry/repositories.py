"""Repositories: the lookups every use case starts from (cached until any write), create,
change and delete; the defaults of a new instance.

Nothing here checks who asks: this is the bottom of registry/, below identity. The checked
administration of repositories is ``registry.operations.repositories``, which passes the
audit record of each change in as ``effects``; the server's start (``ensure_defaults``) and
the tests call these directly."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from anyio import to_thread

from cargohold.core.errors import (
    NameUnknown,
    RepositoryExists,
    RepositoryInvalid,
    RepositoryUnknown,
)
from cargohold.core.names import validate_repository_key
from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import Holdings, RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache

KINDS = ("local",)


class Keep(enum.Enum):
    """A setting ``update`` leaves as it is, where None is a value (no quota)."""

    KEEP = "keep"


KEEP = Keep.KEEP
DEFAULT_REPOSITORIES = ("dev", "staging", "prod")


class Repositories:
    def __init__(self, meta: MetadataStore, formats: Sequence[str]) -> None:
        self._meta = meta
        self._formats = tuple(formats)
        self._cache: ChangeAwareCache[str, RepositoryRecord | None] = ChangeAwareCache(
            meta.changes.read, name="repositories"
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
        quota_bytes: int | None = None,
        effects: Effects = NO_EFFECTS,
    ) -> RepositoryRecord:
        """Create the repository, committing ``effects`` with it."""
        validate_repository_key(key)
        _check_quota(quota_bytes)
        if format not in self._formats:
            raise RepositoryInvalid(
                f"format {format!r} is not supported yet; supported: {', '.join(self._formats)}"
            )
        if kind not in KINDS:
            raise RepositoryInvalid(
                f"kind {kind!r} is not supported yet; supported: {', '.join(KINDS)}"
            )
        record = RepositoryRecord(
            key, format, kind, anonymous_read, description, immutable_tags, quota_bytes
        )
        if not await to_thread.run_sync(self._meta.repositories.create, record, effects):
            raise RepositoryExists(f"repository {key!r} already exists")
        return record

    async def update(
        self,
        key: str,
        *,
        anonymous_read: bool | None = None,
        description: str | None = None,
        immutable_tags: bool | None = None,
        quota_bytes: int | Keep | None = KEEP,
        effects: Effects = NO_EFFECTS,
    ) -> RepositoryRecord:
        """Change the settings given (None: keep; for ``quota_bytes``, KEEP keeps and None
        removes the quota), committing ``effects`` with the change, or on their own when
        nothing is to change."""
        changes: dict[str, object] = {}
        if not isinstance(quota_bytes, Keep):
            _check_quota(quota_bytes)
            changes["quota_bytes"] = quota_bytes
        if immutable_tags is not None:
            changes["immutable_tags"] = immutable_tags
        if anonymous_read is not None:
            changes["anonymous_read"] = anonymous_read
        if description is not None:
            changes["description"] = description
        queries = self._meta.repositories
        if changes and not await to_thread.run_sync(queries.update, key, changes, effects):
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        record = await to_thread.run_sync(queries.get, key)
        if record is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        if not changes and effects:
            await to_thread.run_sync(self._meta.effects.commit, effects)
        return record

    async def remove(
        self,
        key: str,
        check: Callable[[Holdings], None],
        effects_of: Callable[[Holdings], Effects],
    ) -> Holdings:
        """Delete the repository once ``check`` has seen what it holds (and not refused),
        committing the effects of that with it; returns what went."""
        held = await to_thread.run_sync(self._meta.repositories.remove, key, check, effects_of)
        if held is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        return held

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


def _check_quota(quota_bytes: int | None) -> None:
    if quota_bytes is not None and quota_bytes < 0:
        raise RepositoryInvalid(
            f"a quota is a number of bytes, 0 or more (or none), not {quota_bytes}"
        )


__all__ = ["DEFAULT_REPOSITORIES", "KEEP", "KINDS", "Keep", "Repositories"]
