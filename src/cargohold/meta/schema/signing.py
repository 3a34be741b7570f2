"""The OpenPGP keys a repository signs its indexes with (Debian's InRelease, RPM's
repomd.xml.asc): kept in the database so that every node signs alike and a backup holds
them."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column(
        "repository",
        sa.String(64),
        sa.ForeignKey("repositories.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("secret", sa.Text, nullable=False),  # the armored transferable secret key
    sa.Column("public", sa.Text, nullable=False),  # the armored certificate
    sa.Column("created_at", sa.Float, nullable=False),
    # when a rotated-out key stops signing and is no longer published; NULL while current
    sa.Column("retire_at", sa.Float, nullable=True),
)

__all__ = ["signing_keys"]
