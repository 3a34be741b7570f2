"""The advisory database: OSV records and the packages they name.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(128), primary_key=True),  # the OSV id
        sa.Column("modified", sa.Float, nullable=False),
        sa.Column("withdrawn", sa.Float, nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("aliases", sa.Text, nullable=False),  # JSON list
        sa.Column("record", sa.Text, nullable=False),  # the OSV JSON as imported
        sa.Column("imported_at", sa.Float, nullable=False),
    )
    op.create_table(
        "advisory_packages",
        sa.Column(
            "advisory_id",
            sa.String(128),
            sa.ForeignKey("advisories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("ecosystem", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Index("ix_advisory_packages_package", "ecosystem", "name"),
    )


def downgrade() -> None:
    op.drop_table("advisory_packages")
    op.drop_table("advisories")
