"""The tables of lifecycle: the record of every promotion, builds, their statuses and artifacts."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

promotions = sa.Table(
    "promotions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("principal", sa.String(128), nullable=False),
    sa.Column("token_id", sa.String(32), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),  # docker, generic, build
    sa.Column("source_repository", sa.String(64), nullable=False),
    sa.Column("target_repository", sa.String(64), nullable=False),
    sa.Column("source", sa.String(1024), nullable=False),  # image name, path or build
    sa.Column("target", sa.String(1024), nullable=False),
    sa.Column("digest", sa.String(160), nullable=True),
    sa.Column("tags", sa.Text, nullable=False),  # JSON list
    sa.Column("copy", sa.Boolean, nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("properties", sa.Text, nullable=False),  # JSON object
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("result", sa.String(32), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_promotions_digest", "digest"),
    sa.Index("ix_promotions_source", "source_repository", "source"),
    sa.Index("ix_promotions_target", "target_repository", "target"),
    sa.Index("ix_promotions_time", "time"),
)

builds = sa.Table(
    "builds",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("started", sa.Float, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),  # JSON: modules, properties, ...
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)

build_statuses = sa.Table(
    "build_statuses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("repository", sa.String(64), nullable=False),
    sa.Column("principal", sa.String(128), nullable=False),
    sa.ForeignKeyConstraint(
        ["name", "number"], ["builds.name", "builds.number"], ondelete="CASCADE"
    ),
    sa.Index("ix_build_statuses_build", "name", "number", "id"),
)

build_artifacts = sa.Table(
    "build_artifacts",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("repository", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),  # image name or file path
    sa.Column("type", sa.String(16), nullable=False),  # docker or generic
    sa.ForeignKeyConstraint(
        ["name", "number"], ["builds.name", "builds.number"], ondelete="CASCADE"
    ),
    sa.Index("ix_build_artifacts_digest", "digest"),
)

__all__ = ["build_artifacts", "build_statuses", "builds", "promotions"]
