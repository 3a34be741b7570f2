"""Logins through the user directory (LDAP), the second source of accounts.

Order: a name that is a local account (one with a password of cargohold's own, or a service
account) is checked against that password only, and the directory is never asked about it; any
other name is the directory's. The first login a directory accepts makes the cargohold account
(marked as from the directory, without a password), so permissions, API tokens and the audit
log work for it as for any other; every login that reaches the directory sets the account's
memberships of the mapped groups to what the directory says, and changes nothing when they are
as they were.

A verified directory login is remembered with the other credentials (``verified.py``), for at
most ``cache_seconds``: the directory can change a password or a membership without cargohold
knowing. The directory is asked on at most ``DIRECTORY_THREADS`` threads at once, and a login
waits for it at most twice its timeout; a directory that cannot answer raises
DirectoryUnavailable (503), never counted as a failed login.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from anyio import CapacityLimiter, fail_after, to_thread

from cargohold.core.errors import DirectoryUnavailable
from cargohold.core.names import ACCOUNT_NAME
from cargohold.directory import Directory, DirectoryAccount, LdapConfig
from cargohold.meta.effects import Effects, merged
from cargohold.meta.identity.directory import DirectorySync
from cargohold.meta.store import MetadataStore
from cargohold.registry.identity.audit import AuditLog

log = logging.getLogger("cargohold.directory")

DIRECTORY_THREADS = 4
# What a cargohold account may be called (as ``accounts.validate_name``): any other name is
# refused before the directory is asked.


@dataclass(frozen=True, slots=True)
class DirectorySource:
    """The directory to ask, its settings, and how long a login it verified is trusted."""

    directory: Directory
    config: LdapConfig
    cache_seconds: int = 300


class DirectoryLogins:
    def __init__(
        self,
        meta: MetadataStore,
        source: DirectorySource,
        audit: AuditLog,
        clock: Callable[[], float],
    ) -> None:
        self._meta = meta
        self._directory = source.directory
        self._config = source.config
        self._audit = audit
        self._clock = clock
        self.cache_seconds = source.cache_seconds
        self._threads = CapacityLimiter(DIRECTORY_THREADS)

    async def verify(self, username: str, password: str) -> DirectoryAccount | None:
        """What the directory says of ``username`` with ``password`` (None: unknown, or
        the password refused)."""
        if not ACCOUNT_NAME.match(username) or not password:
            return None
        try:
            with fail_after(2 * self._config.timeout):
                return await to_thread.run_sync(
                    self._directory.authenticate,
                    username,
                    password,
                    limiter=self._threads,
                    abandon_on_cancel=True,
                )
        except TimeoutError as exc:
            log.warning(
                "LDAP directory %s did not answer within %d seconds",
                self._config.url,
                2 * self._config.timeout,
            )
            raise DirectoryUnavailable(
                "the user directory (LDAP) did not answer in time; try again later"
            ) from exc

    def sync(self, username: str, account: DirectoryAccount, client: str) -> bool:
        """Make or update the account ``username`` as the directory describes it; False when
        the name was taken by a local account meanwhile (blocking call)."""

        def effects(change: DirectorySync) -> Effects:
            entries = []
            if change.created:
                entries.append(("user.create", f"users/{username}", 201))
            elif change.email_changed:
                entries.append(("user.update", f"users/{username}", 200))
            entries += [("group.join", f"groups/{g}", 200) for g in change.joined]
            entries += [("group.leave", f"groups/{g}", 200) for g in change.left]
            return merged(
                [
                    self._audit.entry_of(username, action, target, status=status, client=client)
                    for action, target, status in entries
                ]
            )

        change = self._meta.directory_accounts.sync(
            username,
            account.email,
            self._config.groups_for(account.groups),
            self._config.mapped_groups,
            self._clock(),
            effects,
        )
        if change is None:
            return False
        if change:
            log.info(
                "directory account %s: %s%s%s",
                username,
                "created; " if change.created else "",
                f"joined {', '.join(change.joined)}; " if change.joined else "",
                f"left {', '.join(change.left)}" if change.left else "",
            )
        return True


__all__ = ["DIRECTORY_THREADS", "DirectoryLogins", "DirectorySource"]
