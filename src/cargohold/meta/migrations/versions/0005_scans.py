"""Insight: scans of artifacts, the components they hold, the advisories that affect them,
the per-layer index cache, and the aliases of advisories.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),  # image or file
        sa.Column("name", sa.String(1024), nullable=False),  # where it was first pushed
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),  # JSON list
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("scanned_at", sa.Float, nullable=True),
        sa.Column("matched_at", sa.Float, nullable=True),
        sa.Index("ix_scans_status", "status"),
    )
    op.create_table(
        "scan_components",
        sa.Column(
            "digest",
            sa.String(160),
            sa.ForeignKey("scans.digest", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("version", sa.String(256), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("purl", sa.Text, nullable=False),
        sa.Column("purl_key", sa.String(600), nullable=False),
        sa.Column("cataloger", sa.String(64), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("licenses", sa.Text, nullable=False),  # JSON list
        sa.Column("source_name", sa.String(512), nullable=True),
        sa.Column("source_version", sa.String(256), nullable=True),
        sa.Column("visible", sa.Boolean, nullable=False),
        sa.Index("ix_scan_components_purl_key", "purl_key"),
    )
    op.create_table(
        "scan_lookups",
        sa.Column(
            "digest",
            sa.String(160),
            sa.ForeignKey("scans.digest", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("ecosystem", sa.String(64), primary_key=True),  # casefolded, no release
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Index("ix_scan_lookups_package", "ecosystem", "name"),
    )
    op.create_table(
        "findings",
        sa.Column(
            "digest",
            sa.String(160),
            sa.ForeignKey("scans.digest", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("advisory_id", sa.String(128), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("fixed_in", sa.Text, nullable=False),  # JSON list
        sa.Column("found_at", sa.Float, nullable=False),
        sa.Index("ix_findings_advisory", "advisory_id"),
        sa.Index("ix_findings_found_at", "found_at"),
    )
    op.create_table(
        "layer_indexes",
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("cache_key", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "advisory_aliases",
        sa.Column(
            "advisory_id",
            sa.String(128),
            sa.ForeignKey("advisories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Index("ix_advisory_aliases_alias", "alias"),
    )
    # Aliases of the advisories already imported.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, aliases FROM advisories")).fetchall()
    aliases = [
        {"advisory_id": row[0], "alias": alias}
        for row in rows
        for alias in sorted(set(json.loads(row[1])))
        if isinstance(alias, str) and len(alias) <= 128
    ]
    if aliases:
        table = sa.table("advisory_aliases", sa.column("advisory_id"), sa.column("alias"))
        op.bulk_insert(table, aliases)


def downgrade() -> None:
    op.drop_table("advisory_aliases")
    op.drop_table("layer_indexes")
    op.drop_table("findings")
    op.drop_table("scan_lookups")
    op.drop_table("scan_components")
    op.drop_table("scans")
