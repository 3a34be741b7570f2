"""The storage report: what each repository and each image holds, what the instance stores,
and how much deduplication saves.

An administrator sees the whole instance. Anyone else sees the repositories they may read and
their images, and not the instance's totals, which would tell of repositories they may not
read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from anyio import to_thread

from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import RepositoryRecord
from cargohold.records.storage import ImageUsage
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.repositories import Repositories


@dataclass(frozen=True, slots=True)
class RepositoryStorage:
    repository: RepositoryRecord
    used_bytes: int
    images: list[ImageUsage]  # largest first


@dataclass(frozen=True, slots=True)
class Totals:
    stored_bytes: int  # every blob once
    stored_blobs: int
    logical_bytes: int  # the sum of the repositories' usage
    quota_bytes: int | None  # the instance's quota

    @property
    def deduplication_ratio(self) -> float | None:
        """logical / stored: above 1 when repositories share blobs; None when empty."""
        return self.logical_bytes / self.stored_bytes if self.stored_bytes else None


@dataclass(frozen=True, slots=True)
class StorageReport:
    repositories: list[RepositoryStorage]  # by key
    totals: Totals | None  # for administrators only


class StorageReports:
    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access

    async def report(self, principal: Principal | None) -> StorageReport:
        admin = self._access.require_user(principal).is_admin
        visible = [
            record
            for record in await self._repositories.all()
            if admin or self._access.allows(principal, record, Action.READ)
        ]
        usage = await to_thread.run_sync(self._meta.quotas.report)
        images: dict[str, list[ImageUsage]] = defaultdict(list)
        for image in sorted(usage.images, key=lambda i: (-i.used_bytes, i.name)):
            images[image.repository].append(image)
        rows = [
            RepositoryStorage(
                record, usage.by_repository.get(record.key, 0), images.get(record.key, [])
            )
            for record in visible
        ]
        totals = None
        if admin:
            totals = Totals(
                usage.stored_bytes,
                usage.stored_blobs,
                sum(usage.by_repository.values()),
                self._meta.quotas.instance_bytes,
            )
        return StorageReport(rows, totals)


__all__ = ["RepositoryStorage", "StorageReport", "StorageReports", "Totals"]
