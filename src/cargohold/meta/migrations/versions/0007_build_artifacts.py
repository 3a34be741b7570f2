"""Where-used indexes: the artifacts of each build by digest, so where-used can name the
builds that produced an affected artifact; components by purl in digest order, so pages of
a package's users are read from the index without sorting.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "build_artifacts",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(160), primary_key=True),
        sa.Column("repository", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "number"], ["builds.name", "builds.number"], ondelete="CASCADE"
        ),
        sa.Index("ix_build_artifacts_digest", "digest"),
    )
    op.drop_index("ix_scan_components_purl_key", table_name="scan_components")
    op.create_index(
        "ix_scan_components_purl", "scan_components", ["purl_key", "visible", "digest", "seq"]
    )
    connection = op.get_bind()
    rows: list[dict[str, Any]] = []
    for name, number, document in connection.execute(
        sa.text("SELECT name, number, document FROM builds")
    ):
        rows.extend(artifact_rows(name, number, json.loads(document)))
    if rows:
        table = sa.table(
            "build_artifacts",
            *(sa.column(c) for c in ("name", "number", "digest", "repository", "path", "type")),
        )
        op.bulk_insert(table, rows)


def artifact_rows(name: str, number: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for module in document.get("modules", []):
        for artifact in module.get("artifacts", []):
            key = (artifact["digest"], artifact["repository"], artifact["name"])
            seen[key] = {
                "name": name,
                "number": number,
                "digest": artifact["digest"],
                "repository": artifact["repository"],
                "path": artifact["name"],
                "type": artifact["type"],
            }
    return list(seen.values())


def downgrade() -> None:
    op.drop_index("ix_scan_components_purl", table_name="scan_components")
    op.create_index("ix_scan_components_purl_key", "scan_components", ["purl_key"])
    op.drop_table("build_artifacts")
