"""Signed repository indexes: the OpenPGP keys a repository signs its indexes with
(``signing_keys``), and which Debian distribution and component list each package file
(``deb_entries``).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
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
    op.create_table(
        "signing_keys",
        _repository(),
        sa.Column("fingerprint", _string(64), primary_key=True),
        sa.Column("secret", _text(), nullable=False),
        sa.Column("public", _text(), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("retire_at", sa.Float, nullable=True),
    )
    op.create_table(
        "deb_entries",
        _repository(),
        sa.Column("distribution", _string(64), primary_key=True),
        sa.Column("component", _string(64), primary_key=True),
        sa.Column("path", _string(1024), primary_key=True),
        sa.Column("architecture", _string(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository", "path"],
            ["package_files.repository", "package_files.path"],
            ondelete="CASCADE",
        ),
        sa.Index("ix_deb_entries_repository_path", "repository", "path"),
    )


def downgrade() -> None:
    op.drop_table("deb_entries")
    op.drop_table("signing_keys")
