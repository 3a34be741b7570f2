"""``/audit``: the audit log, newest first, filtered by principal, action, repository, time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.pages import Row, after_row, page_request, paged
from cargohold.api.rest.views import audit_wire, parse_timestamp
from cargohold.records.identity import AuditFilter
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry


class AuditEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._trail = registry.audit_trail

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Row)
        query = request.query_params
        where = AuditFilter(
            principal=query.get("principal"),
            action=query.get("action"),
            repository=query.get("repository"),
            since=parse_timestamp("since", query.get("since")),
            until=parse_timestamp("until", query.get("until")),
        )
        rows = await self._trail.page(caller, where, after_row(after), limit + 1)
        return paged(request, rows, limit, audit_wire, lambda r: Row(r.id))


__all__ = ["AuditEndpoints"]
