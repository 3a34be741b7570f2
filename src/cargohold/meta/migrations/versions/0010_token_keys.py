"""The keys registry tokens are signed with move from PEM files in the data directory into
the database, so that every node signs and verifies with the same ones. The files of an
existing installation are imported at its next start (registry/identity/key_files.py).

Revision ID: 0010
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("private_key", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("token_keys")
