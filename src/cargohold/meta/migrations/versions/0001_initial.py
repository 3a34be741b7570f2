"""Initial schema: repositories, blobs and links, manifests, tags, uploads, users.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_MANIFEST_FK = (
    ["repository", "name", "digest"],
    ["manifests.repository", "manifests.name", "manifests.digest"],
)


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("anonymous_read", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "blob_links",
        sa.Column(
            "repository",
            sa.String(64),
            sa.ForeignKey("repositories.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "manifests",
        sa.Column(
            "repository",
            sa.String(64),
            sa.ForeignKey("repositories.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("artifact_type", sa.String(255), nullable=True),
        sa.Column("subject", sa.String(160), nullable=True),
        sa.Column("annotations", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_manifests_subject", "manifests", ["repository", "name", "subject"])
    op.create_table(
        "manifest_refs",
        sa.Column("repository", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("child", sa.String(160), primary_key=True),
        sa.ForeignKeyConstraint(*_MANIFEST_FK, ondelete="CASCADE"),
    )
    op.create_index("ix_manifest_refs_child", "manifest_refs", ["child"])
    op.create_table(
        "tags",
        sa.Column("repository", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("tag", sa.String(128), primary_key=True),
        sa.Column("digest", sa.String(160), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.ForeignKeyConstraint(*_MANIFEST_FK, ondelete="CASCADE"),
    )
    op.create_index("ix_tags_digest", "tags", ["repository", "name", "digest"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "repository",
            sa.String(64),
            sa.ForeignKey("repositories.key", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "users",
        "uploads",
        "tags",
        "manifest_refs",
        "manifests",
        "blob_links",
        "blobs",
        "repositories",
    ):
        op.drop_table(table)
