"""The project pages of PyPI repositories, local, remote and virtual alike, and the file a
download names: what the simple API (PEP 503/691) shows and serves, without its markup.

A virtual repository's page of a project is the union of its members' files of it, read
through the dependency-confusion guard (``PackageMembers.sources``): the first member
listing a filename is where it is downloaded from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cargohold.core.errors import (
    RegistryError,
    ResourceUnknown,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from cargohold.records.packages import PackageFile
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.packages.virtual import PackageMembers
from cargohold.registry.pypi.distributions import normalize, valid_name
from cargohold.registry.pypi.uploads import FORMAT
from cargohold.registry.remote.flight import Incoming


@dataclass(frozen=True, slots=True)
class Listed:
    """One file of a project as its page lists it."""

    filename: str
    version: str
    sha256: str
    size: int | None = None
    upload_time: float | None = None
    requires_python: str | None = None
    yanked: str | None = None  # the reason ("" when none) when yanked
    core_metadata: str | None = None  # sha256 of the METADATA file served per PEP 658

    @classmethod
    def of(cls, stored: PackageFile, yanked: str | None) -> Listed:
        """A file the repository holds, of a version yanked with that reason (or not)."""
        return cls(
            stored.filename,
            stored.version,
            stored.file.digest.partition(":")[2],
            stored.file.size,
            stored.file.created_at,
            stored.requires_python,
            yanked,
            stored.core_metadata_sha256,
        )


@dataclass(frozen=True, slots=True)
class Project:
    name: str  # normalized
    files: list[Listed] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Arriving:
    """A file on its way in from a remote repository's upstream, its bytes streaming while
    they arrive (the download policies were checked)."""

    incoming: Incoming
    filename: str


class RemoteProjects(Protocol):
    """What a remote PyPI repository adds: its upstream's pages and files, cached."""

    async def project(self, remote: RepositoryRecord, name: str) -> Project: ...

    async def download(
        self,
        remote: RepositoryRecord,
        name: str,
        version: str,
        filename: str,
        *,
        stream: bool = False,
    ) -> PackageFile | Arriving:
        """The file, kept; or, with ``stream``, on its way in when it is fetched now."""
        ...


class PypiIndex:
    def __init__(
        self,
        packages: PackageFiles,
        members: PackageMembers,
        remote: RemoteProjects | None = None,
    ) -> None:
        self._packages = packages
        self._members = members
        self._remote = remote

    async def readable(self, principal: Principal | None, key: str) -> RepositoryRecord:
        return await self._packages.allowed(principal, key, FORMAT, Action.READ)

    async def names(self, principal: Principal | None, key: str) -> list[str]:
        """The projects of repository ``key`` (of a remote one: those it has cached)."""
        record = await self.readable(principal, key)
        members = [record]
        if record.kind == "virtual":
            members = await self._members.readable(principal, record)
        names: set[str] = set()
        for member in members:
            names.update(await self._packages.names(member.key))
        return sorted(names)

    async def project(self, principal: Principal | None, key: str, name: str) -> Project:
        """The page of project ``name`` (normalized); ResourceUnknown when no version."""
        name = normalize(valid_name(name))
        record = await self.readable(principal, key)
        if record.kind != "virtual":
            return await self._page(record, name)
        members = await self._members.sources(principal, record, name)
        seen: set[str] = set()
        files: list[Listed] = []
        versions: dict[str, None] = {}
        failure: RegistryError | None = None
        for member in members:
            try:
                page = await self._page(member, name)
            except ResourceUnknown:
                continue
            except (UpstreamUnavailable, UpstreamThrottled) as exc:
                failure = failure or exc  # the other members may answer
                continue
            for listed in page.files:
                if listed.filename not in seen:
                    seen.add(listed.filename)
                    files.append(listed)
            versions.update(dict.fromkeys(page.versions))
        if not versions:
            if failure is not None:
                raise failure
            raise ResourceUnknown(f"no project {name!r} in repository {key!r}", {"name": name})
        return Project(name, files, list(versions))

    async def _page(self, member: RepositoryRecord, name: str) -> Project:
        if member.kind == "remote":
            if self._remote is None:
                raise ResourceUnknown(f"remote repository {member.key!r} is not served")
            return await self._remote.project(member, name)
        found = await self.local(member.key, name)
        if not found.versions:
            raise ResourceUnknown(
                f"no project {name!r} in repository {member.key!r}", {"name": name}
            )
        return found

    async def local(self, key: str, name: str) -> Project:
        versions = await self._packages.versions(key, name)
        yanked = {v.version: v.yanked for v in versions}
        files = await self._packages.files(key, name)
        listed = [Listed.of(f, yanked.get(f.version)) for f in files]
        return Project(name, listed, [v.version for v in versions])

    async def download(
        self,
        principal: Principal | None,
        key: str,
        name: str,
        version: str,
        filename: str,
        *,
        stream: bool = False,
    ) -> PackageFile | Arriving:
        """The file to send: read access checked, the download policies applied
        (PolicyViolation), from the member of a virtual repository that lists it; with
        ``stream``, a file a remote repository fetches now may come as it arrives. The name
        is taken as PEP 503 normalises it, whatever its spelling in the URL."""
        name = normalize(valid_name(name))
        record = await self.readable(principal, key)
        members: Sequence[RepositoryRecord] = [record]
        if record.kind == "virtual":
            members = await self._members.sources(principal, record, name)
        failure: RegistryError | None = None
        for member in members:
            try:
                return await self._download(member, name, version, filename, stream)
            except ResourceUnknown:
                continue
            except (UpstreamUnavailable, UpstreamThrottled) as exc:
                failure = failure or exc
                continue
        if failure is not None:
            raise failure
        raise ResourceUnknown(
            f"no file {filename!r} of {name} {version} in repository {key!r}",
            {"filename": filename},
        )

    async def _download(
        self, member: RepositoryRecord, name: str, version: str, filename: str, stream: bool
    ) -> PackageFile | Arriving:
        if member.kind == "remote" and self._remote is not None:
            return await self._remote.download(member, name, version, filename, stream=stream)
        return await self._packages.download(member.key, name, version, filename)


__all__ = ["Arriving", "Listed", "Project", "PypiIndex", "RemoteProjects"]
