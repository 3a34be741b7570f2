"""What a caller may do: actions, grants on repository patterns, and the Principal.

A permission grants actions on repository keys or patterns (``dev``, ``team-*``) to a user or
a group. An API token narrows its owner's rights to its scopes; a bearer token from the
registry token service narrows them further to the images and actions it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from cargohold.core.errors import BadRequest

_PATTERN = re.compile(r"^[a-z0-9*?][a-z0-9._*?-]{0,63}$")


class Action(StrEnum):
    """What a permission can grant."""

    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    PROMOTE = "promote"
    ANNOTATE = "annotate"
    MANAGE = "manage"


def known_actions(values: Iterable[str]) -> frozenset[Action]:
    """The actions among stored values, ignoring any this version does not know."""
    names = {a.value for a in Action}
    return frozenset(Action(v) for v in values if v in names)


def parse_actions(values: Iterable[object]) -> frozenset[Action]:
    actions = set()
    for value in values:
        try:
            actions.add(Action(str(value)))
        except ValueError:
            known = ", ".join(a.value for a in Action)
            raise BadRequest(f"unknown action {str(value)[:40]!r}; actions are: {known}") from None
    if not actions:
        raise BadRequest("at least one action is required")
    return frozenset(actions)


def validate_pattern(pattern: object) -> str:
    """A repository key, or a pattern of one with ``*`` and ``?``."""
    if not isinstance(pattern, str) or not _PATTERN.match(pattern):
        raise BadRequest(
            f"{str(pattern)[:80]!r} is not a repository key or pattern: lowercase letters, "
            "digits, '.', '_', '-', with '*' and '?' as wildcards, at most 64 characters"
        )
    return pattern


@dataclass(frozen=True, slots=True)
class Grant:
    """Actions on the repositories that match any of the patterns."""

    patterns: tuple[str, ...]
    actions: frozenset[Action]

    def allows(self, repository: str, action: Action) -> bool:
        return action in self.actions and any(fnmatchcase(repository, p) for p in self.patterns)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. ``name`` is empty for an anonymous holder of a bearer token."""

    name: str
    admin: bool = False
    service: bool = False
    groups: tuple[str, ...] = ()
    grants: tuple[Grant, ...] = ()
    scopes: tuple[Grant, ...] | None = None
    token_id: str | None = None
    images: Mapping[str, frozenset[Action]] | None = field(default=None, compare=False, hash=False)

    @property
    def anonymous(self) -> bool:
        return not self.name

    @property
    def is_admin(self) -> bool:
        """Instance administrator: an admin account not narrowed by a token's scopes."""
        return self.admin and self.scopes is None and not self.anonymous

    def holds(self, repository: str, action: Action) -> bool:
        """Whether the account (narrowed by its API token, if any) may ``action`` the
        repository; bearer-token image grants are checked separately."""
        held = self.holds_unscoped(repository, action)
        if self.scopes is not None:
            held = held and any(s.allows(repository, action) for s in self.scopes)
        return held

    def holds_unscoped(self, repository: str, action: Action) -> bool:
        """Whether the account itself may, whatever its API token is limited to."""
        if self.anonymous:
            return False
        return self.admin or any(g.allows(repository, action) for g in self.grants)


__all__ = [
    "Action",
    "Grant",
    "Principal",
    "known_actions",
    "parse_actions",
    "validate_pattern",
]
