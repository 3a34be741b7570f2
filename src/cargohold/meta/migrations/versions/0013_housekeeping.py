"""Housekeeping prunes old rows in small batches and finds abandoned uploads: indexes that
let it find them by age without reading whole tables, and the one that tells whether a
webhook delivery still names an event.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_events_time", "events", ["time"]),
    ("ix_webhook_deliveries_event_seq", "webhook_deliveries", ["event_seq"]),
    ("ix_webhook_deliveries_created_at", "webhook_deliveries", ["created_at"]),
    ("ix_jobs_finished_at", "jobs", ["finished_at"]),
    ("ix_uploads_created_at", "uploads", ["created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
