"""Queries on events: each one stored with the webhook deliveries it calls for and the jobs
that send them, within the transaction of the write that caused it (``meta/effects.py``)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.pruning import BATCH, delete_in_batches
from cargohold.meta.schema import events, webhook_deliveries
from cargohold.records.events import EventRecord


class EventQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, event_id: str) -> EventRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(events).where(events.c.id == event_id)).first()
        return None if row is None else event_record(row)

    # --- housekeeping -------------------------------------------------------------------

    def prune(self, before: float, batch: int = BATCH) -> int:
        """Delete the events older than ``before`` that no webhook delivery names (a pending
        one, or a finished one not yet pruned itself); how many went."""
        named = sa.exists().where(webhook_deliveries.c.event_seq == events.c.seq)
        where = sa.and_(events.c.time < before, ~named)
        return delete_in_batches(self._engine, events, events.c.seq, where, batch)


def event_record(row: sa.Row[Any]) -> EventRecord:
    return EventRecord(
        seq=row.seq,
        id=row.id,
        type=row.type,
        source=row.source,
        subject=row.subject,
        repository=row.repository,
        time=row.time,
        data=json.loads(row.data),
    )


__all__ = ["EventQueries", "event_record"]
