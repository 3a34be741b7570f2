"""Online garbage collection: each blob records when something last linked, referenced or
released it (``touched_at``) and whether the collector is deleting its bytes
(``deleting_since``); manifest bodies, stored as blobs, get the row every other stored blob
has, so the collector's one view of what is stored covers them too.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.add_column(
            sa.Column("touched_at", sa.Float, nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("deleting_since", sa.Float, nullable=True))
        batch.create_index("ix_blobs_deleting_since", ["deleting_since"])
    op.create_index("ix_blob_links_digest", "blob_links", ["digest"])
    op.execute("UPDATE blobs SET touched_at = created_at")
    op.execute(
        "INSERT INTO blobs (digest, size, created_at, touched_at) "
        "SELECT digest, MAX(size), MIN(created_at), MAX(created_at) FROM manifests "
        "WHERE digest NOT IN (SELECT digest FROM blobs) GROUP BY digest"
    )


def downgrade() -> None:
    op.drop_index("ix_blob_links_digest", "blob_links")
    with op.batch_alter_table("blobs") as batch:
        batch.drop_index("ix_blobs_deleting_since")
        batch.drop_column("deleting_since")
        batch.drop_column("touched_at")
