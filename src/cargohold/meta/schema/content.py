"""The tables every capability shares: repositories, content-addressed blobs, properties of
any artifact, and the job queue."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("anonymous_read", sa.Boolean, nullable=False, default=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("immutable_tags", sa.Boolean, nullable=False, default=False),
    # the bytes of unique blobs the repository may hold; None: no quota
    sa.Column("quota_bytes", sa.BigInteger, nullable=True),
    # a remote repository's upstream and its settings, JSON (records.repositories.Remote)
    sa.Column("remote", sa.Text, nullable=True),
    # a virtual repository's members and default deploy repository, JSON
    sa.Column("virtual", sa.Text, nullable=True),
    # what a PyPI or npm repository allows, JSON (records.packages.PackageSettings)
    sa.Column("packages", sa.Text, nullable=True),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("digest", sa.String(160), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # The last time something linked, referenced, claimed or released the blob: the garbage
    # collector leaves it alone until this is older than the grace period (meta/gc/).
    sa.Column("touched_at", sa.Float, nullable=False, server_default=sa.text("0")),
    # Set while the collector deletes the bytes: a writer that finds it set waits, and a
    # manifest that needs the blob is refused.
    sa.Column("deleting_since", sa.Float, nullable=True),
    sa.Index("ix_blobs_deleting_since", "deleting_since"),
)

properties = sa.Table(
    "properties",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    # what the property is on: "image:<name>@<digest>", "tag:<name>:<tag>", "file:<path>"
    sa.Column("subject", sa.String(1200), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(1024), primary_key=True),
    sa.Column("updated_at", sa.Float, nullable=False),
    # search by property reads the subjects (which name the artifacts) from this index alone
    sa.Index("ix_properties_key_value", "key", "value", "subject", "repository"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON
    sa.Column("key", sa.String(255), nullable=True, unique=True),  # at most one live job per key
    sa.Column("state", sa.String(16), nullable=False),  # queued, running, done, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("run_after", sa.Float, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Index("ix_jobs_claim", "state", "run_after"),
    sa.Index("ix_jobs_finished_at", "finished_at"),  # housekeeping prunes by age
)

__all__ = ["blobs", "jobs", "properties", "repositories"]
