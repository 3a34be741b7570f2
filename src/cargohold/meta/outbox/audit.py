"""Append an audit record within the transaction of the write it records."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema import audit_events
from cargohold.records.identity import AuditRecord


def append_audit(connection: sa.Connection, record: AuditRecord) -> None:
    """Append ``record`` within the caller's transaction."""
    connection.execute(
        audit_events.insert().values(
            time=record.time,
            principal=record.principal,
            token_id=record.token_id,
            action=record.action,
            target=record.target,
            repository=record.repository,
            status=record.status,
            result=record.result,
            client=record.client,
            detail=record.detail,
        )
    )


__all__ = ["append_audit"]
