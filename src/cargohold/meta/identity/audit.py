"""Queries on the audit log: append-only, read newest first; pruned by age only when the
operator sets a retention for it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.pruning import BATCH, delete_in_batches
from cargohold.meta.schema import audit_events
from cargohold.records.identity import AuditFilter, AuditRecord


class AuditQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def query(self, where: AuditFilter, before: int | None, limit: int) -> list[AuditRecord]:
        """Newest first; ``before`` is the id the previous page ended at."""
        c = audit_events.c
        query = sa.select(audit_events).order_by(c.id.desc()).limit(limit)
        if where.principal is not None:
            query = query.where(c.principal == where.principal)
        if where.action is not None:
            query = query.where(c.action == where.action)
        if where.repository is not None:
            query = query.where(c.repository == where.repository)
        if where.since is not None:
            query = query.where(c.time >= where.since)
        if where.until is not None:
            query = query.where(c.time < where.until)
        if before is not None:
            query = query.where(c.id < before)
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query)]

    def prune(self, before: float, batch: int = BATCH) -> int:
        """Delete the records older than ``before`` (only when the operator set a retention
        for the audit log); how many went."""
        c = audit_events.c
        return delete_in_batches(self._engine, audit_events, c.id, c.time < before, batch)


def _record(row: sa.Row[Any]) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        time=row.time,
        principal=row.principal,
        token_id=row.token_id,
        action=row.action,
        target=row.target,
        repository=row.repository,
        status=row.status,
        result=row.result,
        client=row.client,
        detail=row.detail,
    )


__all__ = ["AuditQueries"]
