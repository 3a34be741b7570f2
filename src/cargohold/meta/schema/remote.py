"""The tables of remote repositories: what the cache checked upstream and when, who is
fetching what right now (one upstream request per object, across processes and nodes), and
which upstreams asked to be left alone for a while."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

# When a remote repository last asked its upstream what a tag (or other mutable name)
# points to, and what it answered: a tag is revalidated once this is older than the
# repository's period.
remote_checks = sa.Table(
    "remote_checks",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("reference", sa.String(255), primary_key=True),
    sa.Column("digest", sa.String(160), nullable=False),
    sa.Column("checked_at", sa.Float, nullable=False),
)

# A fetch from an upstream in progress: the one process that holds the row asks the
# upstream; every other request for the same object follows it (reading the spool file it
# writes, on the same machine) until the row goes. A holder that stops beating is taken over.
remote_fetches = sa.Table(
    "remote_fetches",
    metadata,
    sa.Column("key", sa.String(1200), primary_key=True),
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("spool", sa.Text, nullable=True),  # the file the bytes arrive in
    sa.Column("size", sa.BigInteger, nullable=True),  # their total, once the upstream said
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("beat_at", sa.Float, nullable=False),
)

# An upstream that answered 429 (with Retry-After) or failed: no request goes to it before
# ``closed_until``, from any process or node.
upstream_gates = sa.Table(
    "upstream_gates",
    metadata,
    sa.Column("upstream", sa.String(512), primary_key=True),
    sa.Column("closed_until", sa.Float, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

__all__ = ["remote_checks", "remote_fetches", "upstream_gates"]
