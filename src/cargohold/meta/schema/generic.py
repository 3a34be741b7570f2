"""The table of generic repositories: files by path."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

generic_files = sa.Table(
    "generic_files",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha1", sa.String(40), nullable=False),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Index("ix_generic_files_digest", "digest"),
    # a repository's usage (its distinct digests), read from this index alone
    sa.Index("ix_generic_files_repository_digest", "repository", "digest"),
)

__all__ = ["generic_files"]
