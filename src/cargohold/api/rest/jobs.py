"""``/jobs``: the background job queue, for administrators to watch."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.pages import page_params, page_response
from cargohold.api.rest.views import timestamp
from cargohold.core.errors import BadRequest
from cargohold.records.jobs import STATES, JobRecord
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry


def job_json(record: JobRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "state": record.state,
        "key": record.key,
        "payload": record.payload,
        "attempts": record.attempts,
        "maxAttempts": record.max_attempts,
        "runAfter": timestamp(record.run_after),
        "leaseOwner": record.lease_owner,
        "leaseUntil": timestamp(record.lease_until),
        "lastError": record.last_error,
        "result": record.result,
        "created": timestamp(record.created_at),
        "finished": timestamp(record.finished_at),
    }


class JobEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        limit, after = page_params(request)
        if after is not None and not (len(after) == 32 and after.isalnum()):
            raise BadRequest("after is not a cursor this server handed out")
        state = request.query_params.get("state") or None
        if state is not None and state not in STATES:
            raise BadRequest(f"state must be one of: {', '.join(STATES)}")
        kind = request.query_params.get("kind") or None
        if kind is not None and len(kind) > 64:
            raise BadRequest("kind is at most 64 characters")
        rows = await self._registry.jobs.list(state, kind, after, limit + 1)
        return page_response(request, rows, limit, job_json, lambda r: r.id)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        return JSONResponse(job_json(await self._registry.jobs.get(request.path_params["id"])))


__all__ = ["JobEndpoints", "job_json"]
