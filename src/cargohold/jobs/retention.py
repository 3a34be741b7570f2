"""The scheduled retention run: every enabled retention policy, then the next run queued one
interval later (``registry/retention/runs.py``)."""

from __future__ import annotations

from typing import Any

from cargohold.records.jobs import JobRecord
from cargohold.registry.retention.runs import Retention


class RetentionJob:
    def __init__(self, retention: Retention) -> None:
        self._retention = retention

    async def __call__(self, job: JobRecord) -> dict[str, Any]:
        outcome = await self._retention.scheduled_run()
        if outcome is None:
            return {"skipped": "the retention schedule is off (retention_interval_seconds=0)"}
        return {
            "policies": list(outcome.policies),
            "tags": outcome.tags,
            "manifests": outcome.manifests,
        }


__all__ = ["RetentionJob"]
