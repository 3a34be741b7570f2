"""Changes to the settings of remote and virtual repositories: what an update gives, merged
into what is stored, and which of the changes only an administrator may make.

The upstream, its credentials and TLS verification decide where a remote repository's
content comes from and whom the stored password is sent to; the members and the default
deploy repository decide what a virtual repository exposes and where pushes to it land, and
so does whether a virtual PyPI or npm repository trusts its remote members with the names its
local members hold (the dependency-confusion guard): those are an administrator's. Whether a
remote repository is offline, how long it trusts a cached tag and how long it waits for the
upstream are its manager's.

The password is write-only. An update that does not give it keeps the stored one only while
the upstream and the username stay as they are; changing either needs the password again (or
its removal), so stored credentials are never sent to another host or under another name
(Artifactory keeps the stored password on any partial update, a new URL included). A
username or password set to None removes the credentials."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from cargohold.core.errors import RepositoryInvalid
from cargohold.records.repositories import Remote, RepositoryRecord, Virtual
from cargohold.registry.repositories import KEEP, Keep

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RemoteChange:
    """The settings of a remote repository an update changes (None, KEEP: as they are;
    ``username`` or ``password`` None: remove the credentials)."""

    upstream: str | None = None
    username: str | Keep | None = KEEP
    password: str | Keep | None = field(default=KEEP, repr=False)
    verify_tls: bool | None = None
    revalidate_seconds: int | None = None
    timeout_seconds: float | None = None
    offline: bool | None = None

    def needs_admin(self, current: Remote) -> bool:
        """Whether the change touches the upstream, its credentials or TLS verification."""
        return (
            (self.upstream is not None and self.upstream != current.upstream)
            or (not isinstance(self.username, Keep) and self.username != current.username)
            or (not isinstance(self.password, Keep) and self.password != current.password)
            or (self.verify_tls is not None and self.verify_tls != current.verify_tls)
        )

    def applied_to(self, current: Remote) -> Remote:
        upstream = current.upstream if self.upstream is None else self.upstream
        username, password = self._credentials(current, upstream)
        return Remote(
            upstream=upstream,
            username=username,
            password=password,
            verify_tls=_given(self.verify_tls, current.verify_tls),
            revalidate_seconds=_given(self.revalidate_seconds, current.revalidate_seconds),
            timeout_seconds=_given(self.timeout_seconds, current.timeout_seconds),
            offline=_given(self.offline, current.offline),
        )

    def _credentials(self, current: Remote, upstream: str) -> tuple[str | None, str | None]:
        username, password = self.username, self.password
        if username is None or password is None:
            if isinstance(username, str) or isinstance(password, str):
                raise RepositoryInvalid(
                    "upstream credentials need both a username and a password; to remove "
                    "them, set both (or either) to null"
                )
            return None, None
        if isinstance(username, Keep):
            username = current.username
            if isinstance(password, str) and username is None:
                raise RepositoryInvalid("a password for the upstream needs a username: give both")
        if isinstance(password, str):
            return username, password
        if username is None:  # no credentials before, none given
            return None, None
        if username != current.username or upstream != current.upstream:
            what = "username" if username != current.username else "upstream"
            raise RepositoryInvalid(
                f"the {what} changes, so give the upstream password again (or remove the "
                "credentials): the stored password is kept only for the same upstream and "
                "username"
            )
        return username, current.password


@dataclass(frozen=True, slots=True)
class VirtualChange:
    """The members (in order: they replace the list), the default deploy repository (None:
    none, pushes are refused; KEEP: as it is) or whether remote members are trusted with the
    names local members hold (None: as it is) an update changes."""

    members: tuple[str, ...] | None = None
    default_deploy: str | Keep | None = KEEP
    trust_remote_names: bool | None = None

    def needs_admin(self, current: Virtual) -> bool:
        """Whether the change changes anything: all of it is an administrator's."""
        return self.applied_to(current) != current

    def applied_to(self, current: Virtual) -> Virtual:
        return Virtual(
            current.members if self.members is None else self.members,
            current.default_deploy
            if isinstance(self.default_deploy, Keep)
            else self.default_deploy,
            _given(self.trust_remote_names, current.trust_remote_names),
        )


def remote_of(record: RepositoryRecord) -> Remote:
    """The remote settings an update of ``record`` changes; refused for another kind."""
    if record.kind != "remote" or record.remote is None:
        raise RepositoryInvalid(_other_kind(record, "remote", "an upstream and its settings"))
    return record.remote


def virtual_of(record: RepositoryRecord) -> Virtual:
    """The virtual settings an update of ``record`` changes; refused for another kind."""
    if record.kind != "virtual" or record.virtual is None:
        raise RepositoryInvalid(
            _other_kind(record, "virtual", "members and a default deploy repository")
        )
    return record.virtual


def _other_kind(record: RepositoryRecord, kind: str, what: str) -> str:
    return (
        f"repository {record.key!r} is {record.kind}; only a {kind} repository has {what} "
        f"(the kind of a repository does not change: create a {kind} repository)"
    )


def _given(value: T | None, current: T) -> T:
    return current if value is None else value


__all__ = ["RemoteChange", "VirtualChange", "remote_of", "virtual_of"]
