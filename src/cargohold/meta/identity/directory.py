"""Accounts of the user directory (LDAP): made at their first login, their e-mail and their
memberships of the groups the directory decides kept as the directory says, at each login
that reaches it. One transaction each; the account's generation moves only when something
changed, so a login that finds everything as it was leaves remembered credentials alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from cargohold.meta.effects import Effects, commit_in
from cargohold.meta.identity.generations import advance
from cargohold.meta.identity.users import user_row
from cargohold.meta.schema import group_members, groups, users
from cargohold.meta.upsert import insert_ignore, insert_new
from cargohold.records.identity import UserRecord

GROUP_DESCRIPTION = "members kept by the user directory (LDAP)"


@dataclass(frozen=True, slots=True)
class DirectorySync:
    """What a directory login changed: the account made, the groups joined and left."""

    created: bool
    joined: tuple[str, ...]
    left: tuple[str, ...]
    email_changed: bool = False

    def __bool__(self) -> bool:
        return self.created or bool(self.joined or self.left) or self.email_changed


class DirectoryAccounts:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def sync(
        self,
        name: str,
        email: str | None,
        member_of: frozenset[str],
        managed: frozenset[str],
        now: float,
        effects: Callable[[DirectorySync], Effects],
    ) -> DirectorySync | None:
        """Make the directory account ``name`` (if new) a member of exactly ``member_of``
        among the ``managed`` groups (made if missing), committing ``effects`` of what
        changed with it. None, with nothing written, when ``name`` is a local account."""
        with self._engine.begin() as connection:
            account = UserRecord(name, None, False, email=email, created_at=now, directory=True)
            created = insert_new(connection, users, user_row(account))
            row = connection.execute(
                sa.select(users.c.directory, users.c.email).where(users.c.name == name)
            ).one()
            if not row.directory:
                return None
            email_changed = not created and email is not None and row.email != email
            if email_changed:
                connection.execute(users.update().where(users.c.name == name).values(email=email))
            current = set(
                connection.execute(
                    sa.select(group_members.c.group).where(
                        group_members.c.user == name, group_members.c.group.in_(list(managed))
                    )
                ).scalars()
            )
            wanted = member_of & managed
            joined, left = sorted(wanted - current), sorted(current - wanted)
            if joined:
                insert_ignore(
                    connection,
                    groups,
                    (
                        {"name": g, "description": GROUP_DESCRIPTION, "created_at": now}
                        for g in joined
                    ),
                )
                insert_ignore(
                    connection, group_members, ({"group": g, "user": name} for g in joined)
                )
            if left:
                connection.execute(
                    group_members.delete().where(
                        group_members.c.user == name, group_members.c.group.in_(left)
                    )
                )
            change = DirectorySync(created, tuple(joined), tuple(left), email_changed)
            if change:
                if not created:
                    advance(connection, [name])
                commit_in(connection, effects(change))
        return change


__all__ = ["GROUP_DESCRIPTION", "DirectoryAccounts", "DirectorySync"]
