"""Artifact lifecycle: immutable tags, properties, promotions, generic files, builds, the
job queue, events and webhooks; indexes for search.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repositories") as batch:
        batch.add_column(
            sa.Column("immutable_tags", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("repositories") as batch:
        batch.alter_column("immutable_tags", existing_type=sa.Boolean, server_default=None)
    op.create_index("ix_tags_tag", "tags", ["tag", "repository", "name", "digest"])
    op.create_index("ix_manifests_digest", "manifests", ["digest"])
    op.create_index("ix_manifests_created_at", "manifests", ["created_at"])
    op.create_table(
        "properties",
        sa.Column(
            "repository",
            sa.String(64),
            sa.ForeignKey("repositories.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        # what the property is on: "image:<name>@<digest>", "tag:<name>:<tag>", "file:<path>"
        sa.Column("subject", sa.String(1200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.String(1024), primary_key=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Index("ix_properties_key_value", "key", "value", "subject", "repository"),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("token_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),  # docker, generic, build
        sa.Column("source_repository", sa.String(64), nullable=False),
        sa.Column("target_repository", sa.String(64), nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),  # image name, path or build
        sa.Column("target", sa.String(1024), nullable=False),
        sa.Column("digest", sa.String(160), nullable=True),
        sa.Column("tags", sa.Text, nullable=False),  # JSON list
        sa.Column("copy", sa.Boolean, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("properties", sa.Text, nullable=False),  # JSON object
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Index("ix_promotions_digest", "digest"),
        sa.Index("ix_promotions_source", "source_repository", "source"),
        sa.Index("ix_promotions_target", "target_repository", "target"),
        sa.Index("ix_promotions_time", "time"),
    )
    op.create_table(
        "generic_files",
        sa.Column(
            "repository",
            sa.String(64),
            sa.ForeignKey("repositories.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("digest", sa.String(160), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha1", sa.String(40), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Index("ix_generic_files_digest", "digest"),
    )
    op.create_table(
        "builds",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),  # JSON: modules, properties, ...
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "build_statuses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("repository", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "number"], ["builds.name", "builds.number"], ondelete="CASCADE"
        ),
        sa.Index("ix_build_statuses_build", "name", "number", "id"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),  # JSON
        sa.Column(
            "key", sa.String(255), nullable=True, unique=True
        ),  # at most one live job per key
        sa.Column("state", sa.String(16), nullable=False),  # queued, running, done, failed
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_after", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Index("ix_jobs_claim", "state", "run_after"),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(1200), nullable=False),
        sa.Column("repository", sa.String(64), nullable=True),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("data", sa.Text, nullable=False),  # JSON
        sa.Index("ix_events_subject", "repository", "subject", "seq"),
    )
    op.create_table(
        "webhooks",
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
    op.create_table(
        "webhook_deliveries",
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
    )


def downgrade() -> None:
    for table in (
        "webhook_deliveries",
        "webhooks",
        "events",
        "jobs",
        "build_statuses",
        "builds",
        "generic_files",
        "promotions",
        "properties",
    ):
        op.drop_table(table)
    op.drop_index("ix_manifests_created_at", "manifests")
    op.drop_index("ix_manifests_digest", "manifests")
    op.drop_index("ix_tags_tag", "tags")
    with op.batch_alter_table("repositories") as batch:
        batch.drop_column("immutable_tags")
