"""Account generations: every write that changes what an account may do moves that account's
``generation`` in its own transaction (a password or admin change, a token revoked, a group
joined or left, a permission granted or removed, for the account or one of its groups).

A node that verified a credential remembers the account's generation with it, and trusts the
verification for as long as the generation stands: one indexed read, and only once something
was written at all (``registry/identity/verified.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import group_members, users

_NEXT = {"generation": users.c.generation + 1}


def first() -> int:
    """The generation a new account starts at: random, so an account deleted and made again
    under the same name never takes up a generation a node remembers of the old one."""
    return secrets.randbits(48)


def advance(connection: sa.Connection, names: Iterable[str]) -> None:
    """Move the generation of the accounts ``names``."""
    wanted = list(names)
    if wanted:
        connection.execute(users.update().where(users.c.name.in_(wanted)).values(_NEXT))


def advance_members(connection: sa.Connection, group: str) -> None:
    """Move the generation of every member of ``group``."""
    members = sa.select(group_members.c.user).where(group_members.c.group == group)
    connection.execute(users.update().where(users.c.name.in_(members)).values(_NEXT))


def advance_principal(connection: sa.Connection, principal: str) -> None:
    """Move the generation of the accounts a permission's principal (``user:NAME`` or
    ``group:NAME``) stands for."""
    kind, _, name = principal.partition(":")
    if kind == "user":
        advance(connection, [name])
    elif kind == "group":
        advance_members(connection, name)


def generation(engine: sa.Engine, name: str) -> int | None:
    """The account's generation now (None: there is no such account)."""
    with reading(engine) as connection:
        found = connection.execute(
            sa.select(users.c.generation).where(users.c.name == name)
        ).scalar_one_or_none()
    return None if found is None else int(found)


__all__ = ["advance", "advance_members", "advance_principal", "first", "generation"]
