"""The tables of policy: policies, watches, exceptions."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("rules", sa.Text, nullable=False),  # JSON object
    sa.Column("actions", sa.Text, nullable=False),  # JSON object
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

watches = sa.Table(
    "watches",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),  # JSON list of keys or patterns
    sa.Column("policies", sa.Text, nullable=False),  # JSON list of policy names
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

policy_exceptions = sa.Table(
    "policy_exceptions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),  # an image, index or file digest
    sa.Column("advisory", sa.String(140), nullable=False),  # an OSV id, an alias, license:X
    sa.Column("policy", sa.String(128), nullable=True),  # None: under every policy
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Index("ix_policy_exceptions_digest", "digest"),
    sa.Index("ix_policy_exceptions_created_at", "created_at"),
)

__all__ = ["policies", "policy_exceptions", "watches"]
