"""The tables of OCI content: which image may read which blob, manifests, their references,
tags, upload sessions."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

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
    # the garbage collector forgets a blob's links by digest
    sa.Index("ix_blob_links_digest", "digest"),
    # a repository's usage (its distinct digests) and whether it holds a digest, read from
    # this index alone
    sa.Index("ix_blob_links_repository_digest", "repository", "digest"),
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
    # when it was last pulled (recorded at most once an hour); NULL: never since pushed
    sa.Column("pulled_at", sa.Float, nullable=True),
    sa.Index("ix_manifests_subject", "repository", "name", "subject"),
    sa.Index("ix_manifests_digest", "digest"),
    sa.Index("ix_manifests_created_at", "created_at"),
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
    # search by tag reads the keys from this index, already in key order
    sa.Index("ix_tags_tag", "tag", "repository", "name", "digest"),
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
    sa.Index("ix_uploads_created_at", "created_at"),  # housekeeping finds the abandoned
)

__all__ = ["blob_links", "manifest_refs", "manifests", "tags", "uploads"]
