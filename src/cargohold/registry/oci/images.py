"""Who may do what to an image: the check every OCI use case makes first — the repository
its name starts with exists, holds images, and the caller may act on it."""

from __future__ import annotations

from cargohold.core.errors import Denied
from cargohold.core.names import ImageName
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.repositories import Repositories


class ImageAccess:
    def __init__(self, repositories: Repositories, access: AccessControl) -> None:
        self._repositories = repositories
        self._access = access

    async def check(
        self, principal: Principal | None, name: ImageName, action: Action
    ) -> RepositoryRecord:
        """The repository of ``name``, once ``principal`` may ``action`` it (NameUnknown,
        Unauthorized, Denied or InsufficientScope otherwise)."""
        repository = await self._repositories.for_image(name.repository)
        self._access.check(principal, repository, action, str(name))
        if action is Action.WRITE and repository.kind == "remote":
            raise Denied(
                f"repository {repository.key!r} is a remote repository, a cache of "
                f"{repository.remote.upstream if repository.remote else 'an upstream'}: "
                "push to a local repository (or to a virtual one that deploys to it)",
                {"repository": repository.key},
            )
        return repository

    async def readable(self, principal: Principal | None) -> list[str]:
        """The keys of the repositories ``principal`` may read."""
        return [repository.key for repository in await self.readable_records(principal)]

    async def readable_records(self, principal: Principal | None) -> list[RepositoryRecord]:
        """The repositories ``principal`` may read."""
        return [
            repository
            for repository in await self._repositories.all()
            if self._access.allows(principal, repository, Action.READ)
        ]


__all__ = ["ImageAccess"]
