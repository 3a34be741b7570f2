"""The audit log says what a change removed: ``detail`` (NULL: nothing to add), e.g. the
tags, manifests and files a repository deletion took with it.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")  # see 0009
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("detail", text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("detail")
