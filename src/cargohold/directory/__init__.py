"""The company directory (LDAP) as a second source of accounts, next to cargohold's own.

Belongs here: speaking to the directory — its settings (``config.py``), what a login found
there (``base.py``: the account's DN, e-mail and groups), and the LDAP client (``ldap.py``,
on ``ldap3``: service-account search, the user's own bind, group search, LDAPS and StartTLS).
Blocking code, run on threads by its caller. Not here: what a directory login does to
cargohold's accounts and groups (``registry/identity/directory.py``) or the credential cache.
"""

from cargohold.directory.base import Directory, DirectoryAccount
from cargohold.directory.config import LdapConfig
from cargohold.directory.ldap import LdapDirectory

__all__ = ["Directory", "DirectoryAccount", "LdapConfig", "LdapDirectory"]
