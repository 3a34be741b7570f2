"""Debian repositories: which distribution and component list each package file (a
``package_files`` row, whose ``core_metadata`` is the package's control paragraph)."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

deb_entries = sa.Table(
    "deb_entries",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("distribution", sa.String(64), primary_key=True),
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),  # the package file's
    sa.Column("architecture", sa.String(64), nullable=False),  # "all" lists it in every one
    # deleting a package file takes it out of every distribution
    sa.ForeignKeyConstraint(
        ["repository", "path"],
        ["package_files.repository", "package_files.path"],
        ondelete="CASCADE",
    ),
    sa.Index("ix_deb_entries_repository_path", "repository", "path"),
)

__all__ = ["deb_entries"]
