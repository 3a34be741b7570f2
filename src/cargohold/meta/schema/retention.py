"""The table of retention: the policies that say which tags and untagged manifests go."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

retention_policies = sa.Table(
    "retention_policies",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),  # JSON list of keys or patterns
    sa.Column("images", sa.String(255), nullable=True),  # a pattern of image names
    sa.Column("rules", sa.Text, nullable=False),  # JSON list of rule objects
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

__all__ = ["retention_policies"]
