"""Who may do what to an image: the check every OCI use case makes first — the repository
its name starts with exists, holds images, and the caller may act on it."""

from __future__ import annotations

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
        return repository

    async def readable(self, principal: Principal | None) -> list[str]:
        """The keys of the repositories ``principal`` may read."""
        return [
            repository.key
            for repository in await self._repositories.all()
            if self._access.allows(principal, repository, Action.READ)
        ]


__all__ = ["ImageAccess"]
