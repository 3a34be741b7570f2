"""The scheduled garbage collection: ``gc.collect`` runs one collection and queues the
next period's (registry/gc/service.py)."""

from __future__ import annotations

from typing import Any

from cargohold.records.jobs import JobRecord
from cargohold.registry.gc.service import GarbageCollection, report_data


class CollectJob:
    def __init__(self, gc: GarbageCollection) -> None:
        self._gc = gc

    async def __call__(self, job: JobRecord) -> dict[str, Any]:
        return report_data(await self._gc.scheduled())


__all__ = ["CollectJob"]
