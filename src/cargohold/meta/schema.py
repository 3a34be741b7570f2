"""The tables. Migrations in ``meta/migrations`` must produce exactly this schema."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("anonymous_read", sa.Boolean, nullable=False, default=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

blob_links = sa.Table(
    "blob_links",
    metadata,
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

manifests = sa.Table(
    "manifests",
    metadata,
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
    sa.Column("annotations", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_manifests_subject", "repository", "name", "subject"),
)

manifest_refs = sa.Table(
    "manifest_refs",
    metadata,
    sa.Column("repository", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("child", sa.String(160), primary_key=True),
    sa.ForeignKeyConstraint(
        ["repository", "name", "digest"],
        ["manifests.repository", "manifests.name", "manifests.digest"],
        ondelete="CASCADE",
    ),
    sa.Index("ix_manifest_refs_child", "child"),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("repository", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("tag", sa.String(128), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(
        ["repository", "name", "digest"],
        ["manifests.repository", "manifests.name", "manifests.digest"],
        ondelete="CASCADE",
    ),
    sa.Index("ix_tags_digest", "repository", "name", "digest"),
)

uploads = sa.Table(
    "uploads",
    metadata,
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

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

__all__ = [
    "blob_links",
    "blobs",
    "manifest_refs",
    "manifests",
    "metadata",
    "repositories",
    "tags",
    "uploads",
    "users",
]
