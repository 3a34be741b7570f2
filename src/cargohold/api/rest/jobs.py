"""``/jobs``: the background job queue, for administrators to watch."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.pages import Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import optional_moment
from cargohold.core.times import moment
from cargohold.records.jobs import JobRecord
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.jobs import Job, JobState


def job_wire(record: JobRecord) -> Job:
    return Job(
        id=record.id,
        kind=record.kind,
        state=cast(JobState, record.state),
        key=record.key,
        payload=record.payload,
        attempts=record.attempts,
        max_attempts=record.max_attempts,
        run_after=moment(record.run_after),
        lease_owner=record.lease_owner,
        lease_until=optional_moment(record.lease_until),
        last_error=record.last_error,
        result=record.result,
        created=moment(record.created_at),
        finished=optional_moment(record.finished_at),
    )


class JobEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._jobs = registry.job_admin

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        state = request.query_params.get("state") or None
        kind = request.query_params.get("kind") or None
        rows = await self._jobs.list(caller, state, kind, after_key(after), limit + 1)
        return paged(request, rows, limit, job_wire, lambda r: Key(r.id))

    async def get(self, request: Request, caller: Principal | None) -> Response:
        return WireResponse(job_wire(await self._jobs.get(caller, request.path_params["id"])))


__all__ = ["JobEndpoints", "job_wire"]
