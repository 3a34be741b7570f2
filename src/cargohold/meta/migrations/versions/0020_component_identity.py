"""A scan's components say which rule of their cataloger named them (``identity``: the java
cataloger's "pom.properties", "sha1-table", "manifest:…", "guess:…"). NULL: a cataloger with
one rule, or a component stored before this revision (nothing is said of it).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    string = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")  # see 0009
    with op.batch_alter_table("scan_components") as batch:
        batch.add_column(sa.Column("identity", string, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan_components") as batch:
        batch.drop_column("identity")
