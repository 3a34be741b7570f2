"""The tables of events and webhooks: stored events, webhooks, deliveries."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(1200), nullable=False),
    sa.Column("repository", sa.String(64), nullable=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # JSON
    sa.Index("ix_events_subject", "repository", "subject", "seq"),
    sa.Index("ix_events_time", "time"),  # housekeeping prunes by age
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.String(255), nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),  # JSON list of keys or patterns
    sa.Column("events", sa.Text, nullable=False),  # JSON list of event types
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "webhook_id",
        sa.String(32),
        sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_seq", sa.Integer, sa.ForeignKey("events.seq"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float, nullable=True),
    sa.Index("ix_webhook_deliveries_order", "webhook_id", "state", "event_seq"),
    # housekeeping prunes by age, and keeps the events a delivery names
    sa.Index("ix_webhook_deliveries_created_at", "created_at"),
    sa.Index("ix_webhook_deliveries_event_seq", "event_seq"),
)

__all__ = ["events", "webhook_deliveries", "webhooks"]
