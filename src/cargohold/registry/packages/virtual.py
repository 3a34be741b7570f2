"""Which members of a virtual PyPI or npm repository a package name is resolved in, with the
dependency-confusion guard: a name that a local member holds is taken from the local members
only, never from a remote one (where anyone may publish a higher version under the same
name), unless the virtual repository says it trusts its remotes for local names
(``Virtual.trust_remote_names``).
"""

from __future__ import annotations

from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.packages.names import package_name
from cargohold.registry.remote.virtual import VirtualMembers


class PackageMembers:
    def __init__(self, members: VirtualMembers, packages: PackageFiles) -> None:
        self._members = members
        self._packages = packages

    async def readable(
        self, principal: Principal | None, virtual: RepositoryRecord
    ) -> list[RepositoryRecord]:
        """Every member the caller may read, in order (for listings of all names)."""
        return await self._members.readable(principal, virtual)

    async def sources(
        self, principal: Principal | None, virtual: RepositoryRecord, name: str
    ) -> list[RepositoryRecord]:
        """The members, in order, that package ``name`` is read from: the local members
        holding it, if any does and the guard is on; else every readable member.

        Every local member counts for the guard, also one the caller may not read: a name
        the organisation holds is never taken from a remote member, whoever asks (the caller
        then finds nothing). The name is taken as the format compares names (PEP 503 for
        PyPI), whatever its spelling."""
        members = await self._members.readable(principal, virtual)
        trusting = virtual.virtual is not None and virtual.virtual.trust_remote_names
        if trusting:
            return members
        local = [m.key for m in await self._members.local(virtual)]
        held = await self._packages.holders(local, package_name(virtual.format, name))
        if not held:
            return members
        return [m for m in members if m.key in set(held)]

    async def deploy_target(self, virtual: RepositoryRecord) -> RepositoryRecord:
        """The local repository an upload to ``virtual`` goes to (Denied when none)."""
        return await self._members.deploy_target(virtual)


__all__ = ["PackageMembers"]
