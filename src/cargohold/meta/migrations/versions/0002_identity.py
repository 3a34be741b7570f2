"""Identity and access: service accounts, groups, permissions, API tokens, audit log,
login throttling.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(255), nullable=True)
        batch.add_column(
            sa.Column("service", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("email", sa.String(255), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("service", existing_type=sa.Boolean, server_default=None)
    op.create_table(
        "groups",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "group_members",
        sa.Column(
            "group",
            sa.String(128),
            sa.ForeignKey("groups.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user",
            sa.String(128),
            sa.ForeignKey("users.name", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_group_members_user", "group_members", ["user"])
    op.create_table(
        "permissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("principal", sa.String(140), nullable=False),
        sa.Column("repositories", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_permissions_principal", "permissions", ["principal"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "owner", sa.String(128), sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
    )
    op.create_index("ix_api_tokens_owner", "api_tokens", ["owner"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("token_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("repository", sa.String(64), nullable=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_time", "audit_events", ["time"])
    op.create_index("ix_audit_events_principal", "audit_events", ["principal", "id"])
    op.create_index("ix_audit_events_action", "audit_events", ["action", "id"])
    op.create_index("ix_audit_events_repository", "audit_events", ["repository", "id"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.Float, nullable=False),
        sa.Column("locked_until", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("login_failures", "audit_events", "api_tokens", "permissions"):
        op.drop_table(table)
    op.drop_table("group_members")
    op.drop_table("groups")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
        batch.drop_column("service")
        batch.alter_column("password_hash", existing_type=sa.String(255), nullable=False)
