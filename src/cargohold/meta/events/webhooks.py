"""Queries on webhooks and their delivery log. An administrator's change of a webhook commits
its effects (its audit record) with it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.pruning import BATCH, delete_in_batches
from cargohold.meta.schema import events, webhook_deliveries, webhooks
from cargohold.records.events import DeliveryRecord, EventRecord, WebhookRecord


class WebhookQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, record: WebhookRecord, effects: Effects = NO_EFFECTS) -> None:
        """Insert, with ``effects``."""
        with self._engine.begin() as connection:
            connection.execute(webhooks.insert().values(**_columns(record)))
            commit_in(connection, effects)

    def get(self, webhook_id: str) -> WebhookRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id)).first()
        return None if row is None else _webhook(row)

    def page(self, after: str | None, limit: int) -> list[WebhookRecord]:
        query = sa.select(webhooks).order_by(webhooks.c.id).limit(limit)
        if after is not None:
            query = query.where(webhooks.c.id > after)
        with reading(self._engine) as connection:
            return [_webhook(row) for row in connection.execute(query)]

    def enabled(self) -> list[WebhookRecord]:
        with reading(self._engine) as connection:
            rows = connection.execute(sa.select(webhooks).where(webhooks.c.enabled.is_(True)))
            return [_webhook(row) for row in rows]

    def update(
        self, webhook_id: str, changes: Mapping[str, Any], effects: Effects = NO_EFFECTS
    ) -> WebhookRecord | None:
        """Change the webhook (no changes: read it), with ``effects``; None when there is
        none."""
        values = dict(changes)
        for name in ("repositories", "events"):
            if name in values:
                values[name] = json.dumps(list(values[name]))
        with self._engine.begin() as connection:
            if values:
                connection.execute(
                    webhooks.update().where(webhooks.c.id == webhook_id).values(**values)
                )
            row = connection.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id)).first()
            if row is not None:
                commit_in(connection, effects)
        return None if row is None else _webhook(row)

    def delete(self, webhook_id: str, effects: Effects = NO_EFFECTS) -> bool:
        """Delete the webhook and its delivery log, with ``effects``; False when there is
        none."""
        with self._engine.begin() as connection:
            connection.execute(
                webhook_deliveries.delete().where(webhook_deliveries.c.webhook_id == webhook_id)
            )
            result = connection.execute(webhooks.delete().where(webhooks.c.id == webhook_id))
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0


FINISHED = ("delivered", "failed")


class DeliveryQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def page(
        self, webhook_id: str, state: str | None, before: int | None, limit: int
    ) -> list[DeliveryRecord]:
        """The webhook's deliveries, newest event first; ``before`` is the event seq the
        previous page ended at."""
        d = webhook_deliveries.c
        query = _joined().where(d.webhook_id == webhook_id).order_by(d.event_seq.desc())
        if state is not None:
            query = query.where(d.state == state)
        if before is not None:
            query = query.where(d.event_seq < before)
        with reading(self._engine) as connection:
            return [_delivery(row) for row in connection.execute(query.limit(limit))]

    def next_pending(
        self, webhook_id: str, repository: str | None, subject: str
    ) -> DeliveryRecord | None:
        """The oldest pending delivery of this webhook for this artifact."""
        d, e = webhook_deliveries.c, events.c
        query = (
            _joined()
            .where(
                d.webhook_id == webhook_id,
                d.state == "pending",
                e.repository.is_(None) if repository is None else e.repository == repository,
                e.subject == subject,
            )
            .order_by(d.event_seq)
            .limit(1)
        )
        with reading(self._engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else _delivery(row)

    def begin_attempt(self, delivery_id: str) -> int:
        """Count one more attempt before sending it (a crash mid-send still counts); the
        number of this attempt, 0 if the delivery is no longer pending."""
        d = webhook_deliveries.c
        with self._engine.begin() as connection:
            row = connection.execute(
                webhook_deliveries.update()
                .where(d.id == delivery_id, d.state == "pending")
                .values(attempts=d.attempts + 1)
                .returning(d.attempts)
            ).first()
        return 0 if row is None else int(row.attempts)

    def finish_attempt(
        self,
        delivery_id: str,
        state: str,
        status_code: int | None,
        error: str | None,
        now: float,
    ) -> None:
        """Record what came of the attempt: ``delivered``, ``failed`` (given up) or
        ``pending`` (to be tried again)."""
        d = webhook_deliveries.c
        with self._engine.begin() as connection:
            connection.execute(
                webhook_deliveries.update()
                .where(d.id == delivery_id)
                .values(
                    state=state,
                    status_code=status_code,
                    error=None if error is None else error[:1000],
                    delivered_at=now if state == "delivered" else None,
                )
            )

    # --- housekeeping -------------------------------------------------------------------

    def prune(self, before: float, batch: int = BATCH) -> int:
        """Delete the finished deliveries (delivered or failed) made before ``before``; a
        pending one stays, whatever its age. How many went."""
        d = webhook_deliveries.c
        where = sa.and_(d.state.in_(FINISHED), d.created_at < before)
        return delete_in_batches(self._engine, webhook_deliveries, d.id, where, batch)


def _joined() -> sa.Select[Any]:
    d = webhook_deliveries.c
    return sa.select(
        webhook_deliveries,
        events.c.id.label("event_id"),
        events.c.type,
        events.c.source,
        events.c.subject,
        events.c.repository,
        events.c.time,
        events.c.data,
    ).join(events, events.c.seq == d.event_seq)


def _columns(record: WebhookRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "url": record.url,
        "secret": record.secret,
        "repositories": json.dumps(list(record.repositories)),
        "events": json.dumps(list(record.events)),
        "enabled": record.enabled,
        "created_at": record.created_at,
        "created_by": record.created_by,
    }


def _webhook(row: sa.Row[Any]) -> WebhookRecord:
    return WebhookRecord(
        id=row.id,
        name=row.name,
        url=row.url,
        secret=row.secret,
        repositories=tuple(json.loads(row.repositories)),
        events=tuple(json.loads(row.events)),
        enabled=bool(row.enabled),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _delivery(row: sa.Row[Any]) -> DeliveryRecord:
    event = EventRecord(
        seq=row.event_seq,
        id=row.event_id,
        type=row.type,
        source=row.source,
        subject=row.subject,
        repository=row.repository,
        time=row.time,
        data=json.loads(row.data),
    )
    return DeliveryRecord(
        id=row.id,
        webhook_id=row.webhook_id,
        event=event,
        state=row.state,
        attempts=row.attempts,
        status_code=row.status_code,
        error=row.error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


__all__ = ["DeliveryQueries", "WebhookQueries"]
