"""What the directory says of a user who logged in, and the role every directory plays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn


@dataclass(frozen=True, slots=True)
class DirectoryAccount:
    """A user the directory vouched for: its entry, e-mail, and the DNs of its groups
    (normalised by ``normal_dn``)."""

    dn: str
    email: str | None
    groups: frozenset[str]


class Directory(Protocol):
    def authenticate(self, username: str, password: str) -> DirectoryAccount | None:
        """The account when the directory accepts ``password`` for ``username``; None when
        it does not know the user or refuses the password. Raises DirectoryUnavailable when
        it cannot be asked (down, too slow, TLS refused, the service account refused).
        Blocking."""
        ...


def normal_dn(dn: str) -> str:
    """A DN compared the way directories compare the names of groups: attribute names and
    values without case, without the spaces around separators. Raises ValueError when
    ``dn`` is not a DN."""
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except LDAPInvalidDnError as exc:
        raise ValueError(f"{dn[:200]!r} is not a distinguished name: {exc}") from exc
    return "".join(f"{name.lower()}={value.lower()}{sep}" for name, value, sep in parts)


__all__ = ["Directory", "DirectoryAccount", "normal_dn"]
