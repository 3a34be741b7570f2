"""The check every OCI endpoint makes first: the repository exists and the caller may act."""

from __future__ import annotations

from cargohold.api.oci.call import Call
from cargohold.api.oci.operations import need
from cargohold.core.names import ImageName
from cargohold.registry.identity.access import Action, Principal
from cargohold.registry.registry import Registry


async def check(
    registry: Registry, principal: Principal | None, name: ImageName, action: Action
) -> None:
    """Raise unless the repository of ``name`` exists and ``principal`` may ``action`` it."""
    repository = await registry.repositories.for_image(name.repository)
    registry.access.check(principal, repository, action, str(name))


async def authorized(registry: Registry, call: Call) -> ImageName:
    """The image the path names, once its repository exists and the caller may do what the
    operation needs (``operations.NEEDS``)."""
    name = call.name
    await check(registry, call.principal, name, need(call.route, call.method).action)
    return name


__all__ = ["authorized", "check"]
