"""The audit log as administrators read it: newest first, filtered, a page at a time.

What goes into the log, and how, is ``audit``'s; who may read it is decided here.
"""

from __future__ import annotations

from cargohold.records.identity import AuditFilter, AuditRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import AuditLog
from cargohold.registry.identity.permissions import Principal


class AuditTrail:
    def __init__(self, access: AccessControl, audit: AuditLog) -> None:
        self._access = access
        self._audit = audit

    async def page(
        self, principal: Principal | None, where: AuditFilter, before: int | None, limit: int
    ) -> list[AuditRecord]:
        """The records ``where`` selects, older than the record ``before`` (None: from the
        newest); administrators only."""
        self._access.require_admin(principal)
        return await self._audit.query(where, before, limit)


__all__ = ["AuditTrail"]
