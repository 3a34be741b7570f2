"""What each ``/v2`` operation needs, in one table: the permission its handler checks and
the token scope its 401 challenge names, so that a client which follows the challenge
literally gets a token that lets it finish.

An upload URL needs ``pull,push`` whatever the method (its status GET included), a DELETE
needs ``delete``, a cross-repository mount needs ``pull`` on the source as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.core.errors import NameInvalid
from cargohold.core.names import ImageName
from cargohold.registry.identity.access import Action


@dataclass(frozen=True, slots=True)
class Need:
    """The permission a handler checks, and the actions its challenge asks a token for."""

    action: Action
    scope: str


PULL = Need(Action.READ, "pull")
PUSH = Need(Action.WRITE, "pull,push")
DELETE = Need(Action.DELETE, "delete")

NEEDS: dict[tuple[str, str], Need] = {
    ("manifests", "GET"): PULL,
    ("manifests", "HEAD"): PULL,
    ("manifests", "PUT"): PUSH,
    ("manifests", "DELETE"): DELETE,
    ("uploads", "POST"): PUSH,
    ("upload", "GET"): PUSH,
    ("upload", "PATCH"): PUSH,
    ("upload", "PUT"): PUSH,
    ("upload", "DELETE"): PUSH,
    ("blobs", "GET"): PULL,
    ("blobs", "HEAD"): PULL,
    ("blobs", "DELETE"): DELETE,
    ("tags", "GET"): PULL,
    ("referrers", "GET"): PULL,
}
CATALOG_SCOPE = "registry:catalog:*"


def need(route: str, method: str) -> Need:
    """What the operation needs; a route and method missing from the table is a bug."""
    return NEEDS[(route, method)]


def challenge_scope(route: str, method: str, name: str | None, mount_from: str | None) -> str:
    """The ``scope`` of the challenge answering this operation ("" when it names none)."""
    if route == "catalog":
        return CATALOG_SCOPE
    found = NEEDS.get((route, method))
    if name is None or found is None:
        return ""
    scopes = [f"repository:{name}:{found.scope}"]
    if route == "uploads" and mount_from is not None and _valid(mount_from):
        scopes.insert(0, f"repository:{mount_from}:{PULL.scope}")
    return " ".join(scopes)


def _valid(name: str) -> bool:
    try:
        ImageName.parse(name)
    except NameInvalid:  # a malformed source is not echoed into a header
        return False
    return True


__all__ = ["CATALOG_SCOPE", "NEEDS", "Need", "challenge_scope", "need"]
