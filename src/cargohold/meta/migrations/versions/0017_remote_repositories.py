"""Remote and virtual repositories: a repository's upstream (``remote``) or members
(``virtual``) as JSON; what a remote checked upstream and when (``remote_checks``); the fetch
from an upstream in progress, one per object across processes (``remote_fetches``); the
upstreams that asked to be left alone (``upstream_gates``); and when a manifest was last
pulled (``manifests.pulled_at``), for retention of what nobody uses.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")  # see 0009


def _string(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("repositories") as batch:
        batch.add_column(sa.Column("remote", _text(), nullable=True))
        batch.add_column(sa.Column("virtual", _text(), nullable=True))
    with op.batch_alter_table("manifests") as batch:
        batch.add_column(sa.Column("pulled_at", sa.Float, nullable=True))
    op.create_table(
        "remote_checks",
        sa.Column(
            "repository",
            _string(64),
            sa.ForeignKey("repositories.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", _string(255), primary_key=True),
        sa.Column("reference", _string(255), primary_key=True),
        sa.Column("digest", _string(160), nullable=False),
        sa.Column("checked_at", sa.Float, nullable=False),
    )
    op.create_table(
        "remote_fetches",
        sa.Column("key", _string(1200), primary_key=True),
        sa.Column("owner", _string(128), nullable=False),
        sa.Column("spool", _text(), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("beat_at", sa.Float, nullable=False),
    )
    op.create_table(
        "upstream_gates",
        sa.Column("upstream", _string(512), primary_key=True),
        sa.Column("closed_until", sa.Float, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("reason", _text(), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("upstream_gates")
    op.drop_table("remote_fetches")
    op.drop_table("remote_checks")
    with op.batch_alter_table("manifests") as batch:
        batch.drop_column("pulled_at")
    with op.batch_alter_table("repositories") as batch:
        batch.drop_column("virtual")
        batch.drop_column("remote")
