"""The tables of package formats (PyPI, npm): versions, what the index says of each file,
and dist-tags. The files' bytes and paths are ``generic_files`` rows at
``NAME/VERSION/FILENAME`` (``records/packages.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata


def _repository() -> sa.Column[str]:
    return sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    )


package_versions = sa.Table(
    "package_versions",
    metadata,
    _repository(),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("version", sa.String(128), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    # PyPI's yank reason or npm's deprecation message; NULL while the version is fine
    sa.Column("yanked", sa.Text, nullable=True),
    # the format's document of the version, JSON (records.packages.PackageVersion.document)
    sa.Column("document", sa.Text, nullable=False),
)

package_files = sa.Table(
    "package_files",
    metadata,
    _repository(),
    # the generic_files path of the file's bytes: NAME/VERSION/FILENAME
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("version", sa.String(128), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("requires_python", sa.String(255), nullable=True),
    sa.Column("core_metadata", sa.LargeBinary, nullable=True),
    sa.Column("core_metadata_sha256", sa.String(64), nullable=True),
    sa.Index("ix_package_files_repository_name", "repository", "name", "version"),
)

package_tags = sa.Table(
    "package_tags",
    metadata,
    _repository(),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("tag", sa.String(128), primary_key=True),
    sa.Column("version", sa.String(128), nullable=False),
)

__all__ = ["package_files", "package_tags", "package_versions"]
