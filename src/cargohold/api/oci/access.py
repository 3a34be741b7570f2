"""The check every OCI endpoint makes first: the repository exists and the caller may act."""

from __future__ import annotations

from cargohold.api.oci.call import Call
from cargohold.core.names import ImageName
from cargohold.registry.access import Action, Principal
from cargohold.registry.registry import Registry


async def check(
    registry: Registry, principal: Principal | None, name: ImageName, action: Action
) -> None:
    """Raise unless the repository of ``name`` exists and ``principal`` may ``action`` it."""
    repository = await registry.repositories.for_image(name.repository)
    registry.access.check(principal, repository, action, str(name))


async def authorized(registry: Registry, call: Call, action: Action) -> ImageName:
    """The image the path names, once its repository exists and ``action`` is allowed."""
    name = call.name
    await check(registry, call.principal, name, action)
    return name


__all__ = ["authorized", "check"]
