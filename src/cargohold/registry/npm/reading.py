"""Reading npm packages from local and virtual repositories (remote ones through the remote
adapter): the packument of a name, the tarball of a version.

A virtual repository's packument merges its members' (``registry.package_members.sources``:
a name a local member holds is read from local members only), and its tarball of a version
comes from the first member that holds that version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cargohold.core.errors import ResourceUnknown
from cargohold.records.packages import PackageFile
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.npm.names import tarball_filename, version_of_filename
from cargohold.registry.npm.packuments import Packument, merged
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.packages.virtual import PackageMembers

FORMAT = "npm"
# How a remote repository's packument and tarballs are read (None: no remote adapter).
RemotePackument = Callable[[RepositoryRecord, str], Awaitable[Packument | None]]
RemoteTarball = Callable[[RepositoryRecord, str, str], Awaitable[PackageFile]]


def unknown_package(name: str, key: str) -> ResourceUnknown:
    return ResourceUnknown(f"package {name!r} is not in repository {key!r}", {"name": name})


class NpmReading:
    def __init__(self, packages: PackageFiles, members: PackageMembers) -> None:
        self._packages = packages
        self._members = members
        self._remote_packument: RemotePackument | None = None
        self._remote_tarball: RemoteTarball | None = None

    def serve_remotes(self, packument: RemotePackument, tarball: RemoteTarball) -> None:
        """Read remote repositories through these (the remote adapter)."""
        self._remote_packument = packument
        self._remote_tarball = tarball

    async def repository(self, principal: Principal | None, key: str) -> RepositoryRecord:
        return await self._packages.allowed(principal, key, FORMAT, Action.READ)

    async def packument(self, principal: Principal | None, key: str, name: str) -> Packument:
        """Package ``name`` as repository ``key`` shows it; ResourceUnknown when it has no
        version there."""
        repository = await self.repository(principal, key)
        if repository.kind == "virtual":
            parts = []
            for member in await self._members.sources(principal, repository, name):
                part = await self._of(member, name)
                if part is not None:
                    parts.append(part)
            found = merged(name, parts) if parts else None
        else:
            found = await self._of(repository, name)
        if found is None or not found.versions:
            raise unknown_package(name, key)
        return found

    async def local(self, key: str, name: str) -> Packument | None:
        """Package ``name`` in local repository ``key`` (the caller checked ``read``)."""
        versions = await self._packages.versions(key, name)
        if not versions:
            return None
        tags = {t.tag: t.version for t in await self._packages.tags(key, name)}
        return Packument(name, tuple(versions), tags)

    async def _of(self, repository: RepositoryRecord, name: str) -> Packument | None:
        if repository.kind == "remote":
            if self._remote_packument is None:
                return None
            return await self._remote_packument(repository, name)
        return await self.local(repository.key, name)

    async def tarball(
        self, principal: Principal | None, key: str, name: str, filename: str
    ) -> PackageFile:
        """The tarball ``filename`` of package ``name`` to send, download policies checked;
        ResourceUnknown when there is none."""
        version = version_of_filename(name, filename)
        if version is None:
            raise ResourceUnknown(
                f"{filename[:200]!r} is not a tarball of {name} (NAME-VERSION.tgz)",
                {"filename": filename},
            )
        repository = await self.repository(principal, key)
        if repository.kind != "virtual":
            return await self._tarball(repository, name, version, filename)
        for member in await self._members.sources(principal, repository, name):
            part = await self._of(member, name)
            if part is not None and part.version(version) is not None:
                return await self._tarball(member, name, version, filename)
        raise ResourceUnknown(
            f"no version {version} of {name} in repository {key!r}", {"filename": filename}
        )

    async def _tarball(
        self, repository: RepositoryRecord, name: str, version: str, filename: str
    ) -> PackageFile:
        if filename != tarball_filename(name, version):
            raise ResourceUnknown(f"no file {filename!r} of {name} {version}")
        if repository.kind == "remote" and self._remote_tarball is not None:
            return await self._remote_tarball(repository, name, version)
        return await self._packages.download(repository.key, name, version, filename)


__all__ = ["FORMAT", "NpmReading", "unknown_package"]
