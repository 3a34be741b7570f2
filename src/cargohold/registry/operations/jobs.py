"""The job queue as administrators watch it (and only they): its jobs, newest first, filtered
by state and kind, and each one with its payload, attempts, lease and result."""

from __future__ import annotations

from cargohold.core.errors import BadRequest
from cargohold.records.jobs import STATES, JobRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.jobs import JobQueue

MAX_KIND = 64


class JobAdministration:
    def __init__(self, jobs: JobQueue, access: AccessControl) -> None:
        self._jobs = jobs
        self._access = access

    async def list(
        self,
        principal: Principal | None,
        state: str | None,
        kind: str | None,
        before: str | None,
        limit: int,
    ) -> list[JobRecord]:
        """Newest first, filtered by ``state`` and ``kind`` (None: any)."""
        self._access.require_admin(principal)
        if state is not None and state not in STATES:
            raise BadRequest(f"state must be one of: {', '.join(STATES)}")
        if kind is not None and len(kind) > MAX_KIND:
            raise BadRequest(f"kind is at most {MAX_KIND} characters")
        return await self._jobs.list(state, kind, before, limit)

    async def get(self, principal: Principal | None, job_id: str) -> JobRecord:
        self._access.require_admin(principal)
        return await self._jobs.get(job_id)


__all__ = ["JobAdministration"]
