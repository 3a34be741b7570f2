"""Each account's generation: a number its every change that bears on what it may do moves
(password, admin flag, tokens revoked, groups, permissions), so a node can keep a verified
credential until that account changes rather than until anything is written.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("generation", sa.BigInteger, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("generation")
