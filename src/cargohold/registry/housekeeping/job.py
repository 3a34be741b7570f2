"""The housekeeping job: one recurring job for the whole installation (its key keeps one
queued, however many nodes start), which sweeps abandoned uploads, prunes old rows, reports
what it removed, and queues its next run ``interval`` seconds later. Each part runs even if
another failed; a failure is logged and named in the result, and the next run tries again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from cargohold.registry.housekeeping.policy import HousekeepingPolicy
from cargohold.registry.housekeeping.pruning import Pruning
from cargohold.registry.housekeeping.uploads import AbandonedUploads
from cargohold.registry.jobs import JobQueue

HOUSEKEEPING_JOB = "housekeeping"
KEY = "housekeeping"
ATTEMPTS = 3

log = logging.getLogger("cargohold.housekeeping")


class Housekeeping:
    def __init__(
        self,
        uploads: AbandonedUploads,
        pruning: Pruning,
        jobs: JobQueue,
        policy: HousekeepingPolicy,
    ) -> None:
        self._uploads = uploads
        self._pruning = pruning
        self._jobs = jobs
        self.policy = policy

    async def schedule(self) -> str | None:
        """Queue a run now unless one is queued already (then that one, at its time); None
        when housekeeping is off."""
        if not self.policy.interval:
            return None
        return await self._jobs.enqueue(HOUSEKEEPING_JOB, {}, key=KEY, max_attempts=ATTEMPTS)

    async def run(self) -> dict[str, Any]:
        """One run: what it removed, and what failed."""
        started = time.monotonic()
        policy = self.policy
        result: dict[str, Any] = {}
        errors: list[str] = []
        if policy.upload_expiry:
            try:
                sweep = await self._uploads.sweep(policy.upload_expiry)
                result["uploadsCancelled"] = sweep.cancelled
                result["unnamedUploadsRemoved"] = sweep.unnamed
                result["bytesFreed"] = sweep.bytes_freed
            except Exception as exc:
                log.warning("housekeeping: sweeping abandoned uploads failed", exc_info=True)
                errors.append(f"uploads: {type(exc).__name__}: {exc}")
        try:
            pruned = await self._pruning.prune(policy)
            result["deliveriesRemoved"] = pruned.deliveries
            result["eventsRemoved"] = pruned.events
            result["jobsRemoved"] = pruned.jobs
            result["auditRecordsRemoved"] = pruned.audit
        except Exception as exc:
            log.warning("housekeeping: pruning failed", exc_info=True)
            errors.append(f"pruning: {type(exc).__name__}: {exc}")
        if policy.interval:
            await self._jobs.enqueue(
                HOUSEKEEPING_JOB, {}, key=KEY, delay=policy.interval, max_attempts=ATTEMPTS
            )
        result["seconds"] = round(time.monotonic() - started, 3)
        if errors:
            result["errors"] = errors
        return result


__all__ = ["HOUSEKEEPING_JOB", "Housekeeping"]
