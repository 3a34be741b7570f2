"""``/audit``: the audit log, newest first, filtered by principal, action, repository, time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.pages import numeric_cursor, page_params, page_response
from cargohold.api.rest.views import audit_json, parse_timestamp
from cargohold.core.errors import BadRequest
from cargohold.records.identity import AuditFilter
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry


class AuditEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        limit, after = page_params(request)
        if after is not None and not after.isdigit():
            raise BadRequest("after is not a cursor this server handed out")
        query = request.query_params
        where = AuditFilter(
            principal=query.get("principal"),
            action=query.get("action"),
            repository=query.get("repository"),
            since=parse_timestamp("since", query.get("since")),
            until=parse_timestamp("until", query.get("until")),
        )
        before = numeric_cursor(after)
        rows = await self._registry.audit.query(where, before, limit + 1)
        return page_response(request, rows, limit, audit_json, lambda r: str(r.id))


__all__ = ["AuditEndpoints"]
