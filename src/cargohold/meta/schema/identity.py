"""The tables of identity and access: users, groups, permissions, API tokens, the audit log,
login failures, the keys registry tokens are signed with."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.schema.metadata import metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("service", sa.Boolean, nullable=False, default=False),
    sa.Column("email", sa.String(255), nullable=True),
    # Moves with every change to what the account may do (meta/identity/generations.py).
    sa.Column("generation", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    # Made by its first login through the user directory (LDAP): no password of its own.
    sa.Column("directory", sa.Boolean, nullable=False, server_default=sa.false()),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column(
        "group", sa.String(128), sa.ForeignKey("groups.name", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user", sa.String(128), sa.ForeignKey("users.name", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index("ix_group_members_user", "user"),
)

permissions = sa.Table(
    "permissions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("principal", sa.String(140), nullable=False),
    sa.Column("repositories", sa.Text, nullable=False),
    sa.Column("actions", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_permissions_principal", "principal"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
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
    sa.Index("ix_api_tokens_owner", "owner"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
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
    sa.Column("detail", sa.Text, nullable=True),  # what the change removed, in words
    sa.Index("ix_audit_events_time", "time"),
    sa.Index("ix_audit_events_principal", "principal", "id"),
    sa.Index("ix_audit_events_action", "action", "id"),
    sa.Index("ix_audit_events_repository", "repository", "id"),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("locked_until", sa.Float, nullable=False),
)

# The private keys bearer tokens are signed with, in the database so that every node signs
# and verifies with the same ones (meta/identity/keys.py). Secret: a database backup holds them.
token_keys = sa.Table(
    "token_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("private_key", sa.Text, nullable=False),
)

__all__ = [
    "api_tokens",
    "audit_events",
    "group_members",
    "groups",
    "login_failures",
    "permissions",
    "token_keys",
    "users",
]
