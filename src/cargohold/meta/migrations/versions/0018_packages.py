"""Package repositories (PyPI, npm): package versions with the format's document of each
(``package_versions``), what the index says of each file (``package_files``; the bytes are
``generic_files`` rows), npm's dist-tags (``package_tags``), and what a package repository
allows (``repositories.packages``).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")  # see 0009


def _string(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _repository() -> sa.Column[str]:
    return sa.Column(
        "repository",
        _string(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    with op.batch_alter_table("repositories") as batch:
        batch.add_column(sa.Column("packages", _text(), nullable=True))
    op.create_table(
        "package_versions",
        _repository(),
        sa.Column("name", _string(255), primary_key=True),
        sa.Column("version", _string(128), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", _string(128), nullable=False),
        sa.Column("yanked", _text(), nullable=True),
        sa.Column("document", _text(), nullable=False),
    )
    op.create_table(
        "package_files",
        _repository(),
        sa.Column("path", _string(1024), primary_key=True),
        sa.Column("name", _string(255), nullable=False),
        sa.Column("version", _string(128), nullable=False),
        sa.Column("filename", _string(255), nullable=False),
        sa.Column("requires_python", _string(255), nullable=True),
        sa.Column("core_metadata", sa.LargeBinary, nullable=True),
        sa.Column("core_metadata_sha256", _string(64), nullable=True),
        sa.Index("ix_package_files_repository_name", "repository", "name", "version"),
    )
    op.create_table(
        "package_tags",
        _repository(),
        sa.Column("name", _string(255), primary_key=True),
        sa.Column("tag", _string(128), primary_key=True),
        sa.Column("version", _string(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("package_tags")
    op.drop_table("package_files")
    op.drop_table("package_versions")
    with op.batch_alter_table("repositories") as batch:
        batch.drop_column("packages")
