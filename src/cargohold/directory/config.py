"""The LDAP settings as one value, checked once at start.

The group map says which directory groups make a user a member of which cargohold groups. In
the environment it is one string of ``DN=GROUP`` pairs separated by ``;`` (a cargohold group
name holds no ``=``, so the last ``=`` of a pair separates the two), in the config file a table
``[ldap_group_map]`` of ``"DN" = "GROUP"``. Several directory groups may map to one cargohold
group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cargohold.core.names import ACCOUNT_NAME
from cargohold.directory.base import normal_dn

SCHEMES = ("ldap://", "ldaps://")


@dataclass(frozen=True, slots=True)
class LdapConfig:
    url: str
    user_base: str
    user_filter: str = "(uid={username})"
    bind_dn: str | None = None
    bind_password: str | None = field(default=None, repr=False)
    group_base: str | None = None
    group_filter: str = "(member={dn})"
    # (normalised directory group DN, cargohold group), in the order given
    group_map: tuple[tuple[str, str], ...] = ()
    starttls: bool = False
    ca_file: Path | None = None
    timeout: int = 5
    email_attribute: str = "mail"

    @property
    def mapped_groups(self) -> frozenset[str]:
        """Every cargohold group the directory decides membership of."""
        return frozenset(group for _, group in self.group_map)

    def groups_for(self, directory_groups: frozenset[str]) -> frozenset[str]:
        """The cargohold groups a member of ``directory_groups`` (normalised DNs) belongs to."""
        return frozenset(group for dn, group in self.group_map if dn in directory_groups)

    def problems(self) -> list[str]:
        """What is wrong with these settings, in words an operator can act on."""
        found = []
        if not self.url.startswith(SCHEMES):
            found.append(f"ldap_url must start with ldap:// or ldaps://, not {self.url[:80]!r}")
        if self.starttls and self.url.startswith("ldaps://"):
            found.append("ldap_starttls is for ldap:// URLs; ldaps:// is TLS from the start")
        if not self.user_base:
            found.append("ldap_user_base is required with ldap_url (where users are searched)")
        if "{username}" not in self.user_filter:
            found.append(
                "ldap_user_filter must contain {username}, as in (uid={username}); "
                f"got {self.user_filter[:80]!r}"
            )
        if not self.user_filter.startswith("("):
            found.append("ldap_user_filter must be an LDAP filter in parentheses")
        if self.group_map and self.group_base is None:
            found.append("ldap_group_map needs ldap_group_base (where the groups are searched)")
        if self.group_base is not None and not (
            "{dn}" in self.group_filter or "{username}" in self.group_filter
        ):
            found.append("ldap_group_filter must contain {dn} or {username}, as in (member={dn})")
        if (self.bind_dn is None) != (self.bind_password is None):
            found.append("ldap_bind_dn and ldap_bind_password go together")
        if self.ca_file is not None and not self.ca_file.is_file():
            found.append(f"ldap_ca_file {str(self.ca_file)!r} is not a readable file")
        if not 1 <= self.timeout <= 60:
            found.append("ldap_timeout must be between 1 and 60 seconds")
        return found


def parse_group_map(value: object) -> tuple[tuple[str, str], ...]:
    """``DN=GROUP;DN=GROUP`` (environment) or a table of DN to group (config file). Raises
    ValueError naming the pair that is wrong."""
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        items = [(str(k), str(v)) for k, v in value.items()]
    elif isinstance(value, str):
        items = []
        for pair in value.split(";"):
            if not pair.strip():
                continue
            dn, sep, group = pair.rpartition("=")
            if not sep or not dn.strip():
                raise ValueError(
                    f"ldap_group_map: {pair.strip()[:120]!r} is not DN=GROUP, as in "
                    "cn=devs,ou=groups,dc=example,dc=org=developers"
                )
            items.append((dn, group))
    else:
        raise ValueError("ldap_group_map must be DN=GROUP;DN=GROUP... or a table of DN = GROUP")
    for dn, given in items:
        group = given.strip()
        if not ACCOUNT_NAME.match(group):
            raise ValueError(
                f"ldap_group_map: {group[:80]!r} is not a cargohold group name (letters, "
                "digits, '.', '_', '@', '-')"
            )
        try:
            pairs.append((normal_dn(dn.strip()), group))
        except ValueError as exc:
            raise ValueError(f"ldap_group_map: {exc}") from exc
    return tuple(pairs)


__all__ = ["SCHEMES", "LdapConfig", "parse_group_map"]
