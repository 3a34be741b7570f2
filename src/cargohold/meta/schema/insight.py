"""The tables of insight: advisories, scans, components, lookups, findings, per-layer indexes."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

advisories = sa.Table(
    "advisories",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),  # the OSV id
    sa.Column("modified", sa.Float, nullable=False),
    sa.Column("withdrawn", sa.Float, nullable=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),  # LOW … CRITICAL, NONE, UNKNOWN
    sa.Column("aliases", sa.Text, nullable=False),  # JSON list
    sa.Column("record", sa.Text, nullable=False),  # the OSV JSON as imported
    sa.Column("imported_at", sa.Float, nullable=False),
)

advisory_packages = sa.Table(
    "advisory_packages",
    metadata,
    sa.Column(
        "advisory_id",
        sa.String(128),
        sa.ForeignKey("advisories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ecosystem", sa.String(64), primary_key=True),  # without its ":<release>"
    sa.Column("name", sa.String(512), primary_key=True),  # normalized as match.normalize_name
    sa.Index("ix_advisory_packages_package", "ecosystem", "name"),
)

advisory_aliases = sa.Table(
    "advisory_aliases",
    metadata,
    sa.Column(
        "advisory_id",
        sa.String(128),
        sa.ForeignKey("advisories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Index("ix_advisory_aliases_alias", "alias"),
)

scans = sa.Table(
    "scans",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # image or file
    sa.Column("name", sa.String(1024), nullable=False),  # where it was first pushed
    sa.Column("status", sa.String(16), nullable=False),  # pending, done, incomplete, failed
    sa.Column("reasons", sa.Text, nullable=False),  # JSON list
    sa.Column("cache_key", sa.String(64), nullable=False),
    sa.Column("requested_at", sa.Float, nullable=False),
    sa.Column("scanned_at", sa.Float, nullable=True),
    sa.Column("matched_at", sa.Float, nullable=True),
    sa.Index("ix_scans_status", "status"),
)

scan_components = sa.Table(
    "scan_components",
    metadata,
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
    sa.Column("purl_key", sa.String(600), nullable=False),  # type/namespace/name, no version
    sa.Column("cataloger", sa.String(64), nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("licenses", sa.Text, nullable=False),  # JSON list
    sa.Column("source_name", sa.String(512), nullable=True),
    sa.Column("source_version", sa.String(256), nullable=True),
    sa.Column("visible", sa.Boolean, nullable=False),  # False: deleted by a later layer
    sa.Column("identity", sa.String(64), nullable=True),  # the cataloger's rule that named it
    sa.Index("ix_scan_components_purl", "purl_key", "visible", "digest", "seq"),
)

scan_lookups = sa.Table(
    "scan_lookups",
    metadata,
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

findings = sa.Table(
    "findings",
    metadata,
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
    sa.Column("found_at", sa.Float, nullable=False),  # first found; kept across re-matches
    sa.Index("ix_findings_advisory", "advisory_id"),
    sa.Index("ix_findings_found_at", "found_at"),
)

layer_indexes = sa.Table(
    "layer_indexes",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("cache_key", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),  # analysis.layered.encode
    sa.Column("created_at", sa.Float, nullable=False),
)

__all__ = [
    "advisories",
    "advisory_aliases",
    "advisory_packages",
    "findings",
    "layer_indexes",
    "scan_components",
    "scan_lookups",
    "scans",
]
