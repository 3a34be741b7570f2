"""Store an event within the transaction of the write that caused it, with the webhook
deliveries it calls for and the jobs that send them."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from cargohold.meta.outbox.jobs import enqueue_in
from cargohold.meta.schema import events, webhook_deliveries, webhooks
from cargohold.records.events import Appended, EventRecord, NewDelivery


def append_event(
    connection: sa.Connection, event: EventRecord, deliveries: Sequence[NewDelivery], now: float
) -> Appended:
    """Store ``event`` (its ``seq`` is assigned here) within the caller's transaction, a
    pending delivery per webhook that still exists, and enqueue their jobs."""
    seq = connection.execute(
        events.insert()
        .values(
            id=event.id,
            type=event.type,
            source=event.source,
            subject=event.subject,
            repository=event.repository,
            time=event.time,
            data=json.dumps(event.data, separators=(",", ":")),
        )
        .returning(events.c.seq)
    ).scalar_one()
    wanted = [d.webhook_id for d in deliveries]
    existing = (
        set(connection.execute(sa.select(webhooks.c.id).where(webhooks.c.id.in_(wanted))).scalars())
        if wanted
        else set()
    )
    made = [d for d in deliveries if d.webhook_id in existing]
    if made:
        connection.execute(
            webhook_deliveries.insert(),
            [
                {
                    "id": d.id,
                    "webhook_id": d.webhook_id,
                    "event_seq": seq,
                    "state": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for d in made
            ],
        )
    job_ids = tuple(enqueue_in(connection, d.job, now) for d in made)
    return Appended(int(seq), tuple(d.id for d in made), job_ids)


__all__ = ["append_event"]
