"""The scan jobs: ``insight.scan`` indexes and matches one artifact, ``insight.rematch``
matches the stored inventories again after an advisory import."""

from __future__ import annotations

import time
from typing import Any

from cargohold.jobs.runner import Fail
from cargohold.metrics import SCAN_DURATION
from cargohold.records.jobs import JobRecord
from cargohold.registry.insight.scans import Scans


class ScanJob:
    def __init__(self, scans: Scans) -> None:
        self._scans = scans

    async def __call__(self, job: JobRecord) -> dict[str, Any]:
        digest = job.payload.get("digest")
        if not isinstance(digest, str):
            raise Fail("the job names no digest")
        started = time.perf_counter()
        try:
            outcome = await self._scans.run(digest)
        except LookupError as exc:
            raise Fail(str(exc)) from exc
        except Exception as exc:
            SCAN_DURATION.labels("failed").observe(time.perf_counter() - started)
            if job.attempts >= job.max_attempts:  # the last attempt: say so, not "pending"
                reason = f"the scan failed {job.attempts} times: {type(exc).__name__}: {exc}"
                await self._scans.fail(digest, reason)
            raise
        SCAN_DURATION.labels(outcome.status).observe(time.perf_counter() - started)
        return {
            "digest": digest,
            "status": outcome.status,
            "components": outcome.components,
            "newAdvisories": list(outcome.advisories),
        }


class RematchJob:
    def __init__(self, scans: Scans) -> None:
        self._scans = scans

    async def __call__(self, job: JobRecord) -> dict[str, Any]:
        since = job.payload.get("since")
        if not isinstance(since, int | float):
            raise Fail("the job names no import time")
        affected = await self._scans.rematch(float(since))
        return {"newlyAffected": len(affected), "digests": sorted(affected)[:100]}


__all__ = ["RematchJob", "ScanJob"]
