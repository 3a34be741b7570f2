"""The ``housekeeping`` job: abandoned uploads and old rows (``registry/housekeeping``)."""

from __future__ import annotations

from typing import Any

from cargohold.records.jobs import JobRecord
from cargohold.registry.housekeeping.job import Housekeeping


class HousekeepingJob:
    def __init__(self, housekeeping: Housekeeping) -> None:
        self._housekeeping = housekeeping

    async def __call__(self, job: JobRecord) -> dict[str, Any]:
        return await self._housekeeping.run()


__all__ = ["HousekeepingJob"]
