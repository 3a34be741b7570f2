"""The LDAP client: find the user with the service account, bind as the user with the
password given, then find the user's groups.

A user name reaches the filters escaped (RFC 4515, by ``ldap3``), and an empty password is
refused before any bind: a directory takes a simple bind without a password as an anonymous
one, which would let anybody in. Every socket operation has the configured timeout; an
unreachable or misbehaving directory raises DirectoryUnavailable, which is logged without any
password.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from cargohold.core.errors import DirectoryUnavailable
from cargohold.directory.base import DirectoryAccount, normal_dn
from cargohold.directory.config import LdapConfig

log = logging.getLogger("cargohold.directory")

INVALID_CREDENTIALS = 49
NO_ATTRIBUTES = "1.1"  # RFC 4511: the entries' names only


class LdapDirectory:
    def __init__(self, config: LdapConfig) -> None:
        self._config = config
        tls = None
        if config.url.startswith("ldaps://") or config.starttls:
            tls = Tls(
                validate=ssl.CERT_REQUIRED,
                sni=urlsplit(config.url).hostname,
                ca_certs_file=str(config.ca_file) if config.ca_file is not None else None,
            )
        self._server = Server(
            config.url,
            use_ssl=config.url.startswith("ldaps://"),
            tls=tls,
            get_info=NONE,
            connect_timeout=config.timeout,
        )

    def authenticate(self, username: str, password: str) -> DirectoryAccount | None:
        if not password:
            return None  # an unauthenticated bind would succeed: never ask
        try:
            with self._service() as service:
                found = self._find_user(service, username)
                if found is None:
                    return None
                dn, attributes = found
                if not self._accepts(dn, password):
                    return None
                groups = set(_values(attributes, "memberOf"))
                if self._config.group_base is not None:
                    groups.update(self._groups(service, self._config.group_base, dn, username))
        except LDAPException as exc:
            log.warning("LDAP directory %s cannot be asked: %s", self._config.url, exc)
            raise DirectoryUnavailable(
                "the user directory (LDAP) cannot be reached; try again later"
            ) from exc
        email = next(iter(_values(attributes, self._config.email_attribute)), None)
        return DirectoryAccount(dn, email, frozenset(_normal(groups)))

    @contextmanager
    def _connection(self, user: str | None, password: str | None) -> Iterator[Connection]:
        """An open, secured (StartTLS when asked), not yet bound connection, closed after."""
        connection = Connection(
            self._server,
            user=user,
            password=password,
            receive_timeout=self._config.timeout,
            read_only=True,
            auto_referrals=False,
            raise_exceptions=False,
        )
        try:
            connection.open()
            if self._config.starttls and not connection.start_tls():
                raise _Refused(f"StartTLS refused: {connection.result.get('description')}")
            yield connection
        finally:
            with suppress(LDAPException):
                connection.unbind()
            if connection.socket is not None:  # left open by a failed open()
                connection.socket.close()

    @contextmanager
    def _service(self) -> Iterator[Connection]:
        """A connection bound as the service account (anonymous without one)."""
        config = self._config
        with self._connection(config.bind_dn, config.bind_password) as connection:
            if connection.bind():
                yield connection
                return
            result = connection.result
            log.error(
                "LDAP directory %s refused the service account %s: %s",
                config.url,
                config.bind_dn or "(anonymous)",
                result.get("description", result),
            )
            raise DirectoryUnavailable(
                "the user directory (LDAP) refused cargohold's service account; "
                "an administrator must check ldap_bind_dn and ldap_bind_password"
            )

    def _find_user(self, service: Connection, username: str) -> tuple[str, dict[str, Any]] | None:
        query = self._config.user_filter.replace("{username}", escape_filter_chars(username))
        service.search(
            self._config.user_base,
            query,
            SUBTREE,
            attributes=[self._config.email_attribute, "memberOf"],
            size_limit=2,
            time_limit=int(self._config.timeout),
        )
        entries = _entries(service)
        if len(entries) > 1:
            log.warning(
                "LDAP user filter %s matches several entries for %r: login refused",
                self._config.user_filter,
                username,
            )
            return None
        if not entries:
            return None
        return entries[0]["dn"], entries[0].get("attributes", {})

    def _accepts(self, dn: str, password: str) -> bool:
        with self._connection(dn, password) as connection:
            if connection.bind():
                return True
            if connection.result.get("result") != INVALID_CREDENTIALS:
                log.warning(
                    "LDAP directory %s refused the bind of %s: %s",
                    self._config.url,
                    dn,
                    connection.result.get("description"),
                )
            return False

    def _groups(self, service: Connection, base: str, dn: str, username: str) -> list[str]:
        query = self._config.group_filter.replace("{dn}", escape_filter_chars(dn)).replace(
            "{username}", escape_filter_chars(username)
        )
        service.search(
            base,
            query,
            SUBTREE,
            attributes=[NO_ATTRIBUTES],
            time_limit=int(self._config.timeout),
        )
        return [entry["dn"] for entry in _entries(service)]


def _entries(connection: Connection) -> list[dict[str, Any]]:
    """The entries a search found; raises for a search the directory failed."""
    result = connection.result
    if result.get("result") not in (0, 4):  # success, sizeLimitExceeded
        raise _Refused(f"search failed: {result.get('description')}")
    return [e for e in (connection.response or []) if e.get("type") == "searchResEntry"]


class _Refused(LDAPException):  # type: ignore[misc]
    """The directory answered, but not as it should have."""


def _values(attributes: dict[str, Any], name: str) -> list[str]:
    value = attributes.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _normal(dns: set[str]) -> list[str]:
    found = []
    for dn in dns:
        try:
            found.append(normal_dn(dn))
        except ValueError:
            log.warning("LDAP directory returned a group that is not a DN: %r", dn[:200])
    return found


__all__ = ["LdapDirectory"]
