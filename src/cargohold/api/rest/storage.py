"""``/storage``: the storage report (usage by repository and image, deduplication)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.responses import WireResponse
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.quotas.report import StorageReport as Report
from cargohold.registry.registry import Registry
from cargohold.wire.storage import ImageStorage, RepositoryStorage, StorageReport, StorageTotals


def report_wire(report: Report) -> StorageReport:
    totals = report.totals
    return StorageReport(
        repositories=[
            RepositoryStorage(
                key=row.repository.key,
                format=row.repository.format,
                used_bytes=row.used_bytes,
                quota_bytes=row.repository.quota_bytes,
                images=[ImageStorage(i.name, i.used_bytes, i.blobs) for i in row.images],
            )
            for row in report.repositories
        ],
        instance=None
        if totals is None
        else StorageTotals(
            stored_bytes=totals.stored_bytes,
            stored_blobs=totals.stored_blobs,
            logical_bytes=totals.logical_bytes,
            deduplication_ratio=totals.deduplication_ratio,
            quota_bytes=totals.quota_bytes,
        ),
    )


class StorageEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._storage = registry.storage

    async def report(self, request: Request, caller: Principal | None) -> Response:
        return WireResponse(report_wire(await self._storage.report(caller)))


__all__ = ["StorageEndpoints", "report_wire"]
