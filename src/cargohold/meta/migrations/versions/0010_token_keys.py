"""The keys registry tokens are signed with move from PEM files in the data directory into
the database, so that every node signs and verifies with the same ones. The files of an
existing installation are imported at its next start (registry/identity/key_files.py).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_keys",
        # Text compares byte by byte on PostgreSQL too (see 0009).
        sa.Column(
            "kid",
            sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql"),
            primary_key=True,
        ),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column(
            "private_key",
            sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_table("token_keys")
