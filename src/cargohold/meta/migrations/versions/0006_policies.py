"""Policies (rules and actions), watches (which policies apply to which repositories) and
time-limited exceptions per artifact and advisory.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),  # JSON object
        sa.Column("actions", sa.Text, nullable=False),  # JSON object
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "watches",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("repositories", sa.Text, nullable=False),  # JSON list of keys or patterns
        sa.Column("policies", sa.Text, nullable=False),  # JSON list of policy names
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "policy_exceptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("digest", sa.String(160), nullable=False),
        sa.Column("advisory", sa.String(140), nullable=False),
        sa.Column("policy", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Index("ix_policy_exceptions_digest", "digest"),
        sa.Index("ix_policy_exceptions_created_at", "created_at"),
    )


def downgrade() -> None:
    op.drop_table("policy_exceptions")
    op.drop_table("watches")
    op.drop_table("policies")
