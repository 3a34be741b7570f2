"""Quotas: a repository may have one (``quota_bytes``, NULL: none), and its usage (the bytes
of the distinct blobs it holds) is read from indexes by repository and digest.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repositories") as batch:
        batch.add_column(sa.Column("quota_bytes", sa.BigInteger, nullable=True))
    op.create_index("ix_blob_links_repository_digest", "blob_links", ["repository", "digest"])
    op.create_index("ix_generic_files_repository_digest", "generic_files", ["repository", "digest"])


def downgrade() -> None:
    op.drop_index("ix_generic_files_repository_digest", "generic_files")
    op.drop_index("ix_blob_links_repository_digest", "blob_links")
    with op.batch_alter_table("repositories") as batch:
        batch.drop_column("quota_bytes")
