"""Virtual repositories, for every format: the members a caller's request is resolved in, in
order, and the repository a write to the virtual repository goes to.

A member the caller may not read is skipped as if it were not listed, so a virtual
repository never tells anyone what a member holds that they could not read there. A member
deleted since it was listed is skipped too.
"""

from __future__ import annotations

from cargohold.core.errors import Denied
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.repositories import Repositories


class VirtualMembers:
    def __init__(self, repositories: Repositories, access: AccessControl) -> None:
        self._repositories = repositories
        self._access = access

    async def readable(
        self, principal: Principal | None, virtual: RepositoryRecord
    ) -> list[RepositoryRecord]:
        """The members of ``virtual`` the caller may read, in the virtual repository's
        order (the caller's right to read ``virtual`` itself is checked by the caller)."""
        if virtual.virtual is None:
            return []
        members = []
        for key in virtual.virtual.members:
            member = await self._repositories.find(key)
            if member is None or member.kind == "virtual":
                continue
            if self._access.allows(principal, member, Action.READ):
                members.append(member)
        return members

    async def local(self, virtual: RepositoryRecord) -> list[RepositoryRecord]:
        """The local members of ``virtual``, whoever asks (never shown to a caller: for
        decisions such as the dependency-confusion guard)."""
        if virtual.virtual is None:
            return []
        members = []
        for key in virtual.virtual.members:
            member = await self._repositories.find(key)
            if member is not None and member.kind == "local":
                members.append(member)
        return members

    async def deploy_target(self, virtual: RepositoryRecord) -> RepositoryRecord:
        """The local repository a push to ``virtual`` goes to; Denied, saying what to do,
        when it has none."""
        deploy = None if virtual.virtual is None else virtual.virtual.default_deploy
        if deploy is None:
            raise Denied(
                f"virtual repository {virtual.key!r} has no default deploy repository, so it "
                "takes no pushes: push to one of its local members, or set one with "
                f"`cargohold repo update {virtual.key} --default-deploy KEY`",
                {"repository": virtual.key},
            )
        target = await self._repositories.find(deploy)
        if target is None or target.kind != "local":
            raise Denied(
                f"the default deploy repository {deploy!r} of virtual repository "
                f"{virtual.key!r} is gone or not local; set another with "
                f"`cargohold repo update {virtual.key} --default-deploy KEY`",
                {"repository": virtual.key},
            )
        return target


__all__ = ["VirtualMembers"]
