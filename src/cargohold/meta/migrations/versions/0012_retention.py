"""Retention policies: which tags and untagged manifests of docker repositories go, by
pattern, count and age.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sa.types.TypeEngine[str]:
    """Text that compares byte by byte on PostgreSQL too (see 0009)."""
    if length is None:
        return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("id", _text(32), primary_key=True),
        sa.Column("name", _text(128), nullable=False, unique=True),
        sa.Column("description", _text(), nullable=False),
        sa.Column("repositories", _text(), nullable=False),
        sa.Column("images", _text(255), nullable=True),
        sa.Column("rules", _text(), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("created_by", _text(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retention_policies")
