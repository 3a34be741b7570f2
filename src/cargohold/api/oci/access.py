"""The check every OCI endpoint makes first: the repository exists and the caller may act."""

from __future__ import annotations

from cargohold.api.oci.call import Call
from cargohold.core.names import ImageName
from cargohold.registry.access import Action
from cargohold.registry.registry import Registry


async def authorized(registry: Registry, call: Call, action: Action) -> ImageName:
    """The image the path names, once its repository exists and ``action`` is allowed."""
    name = call.name
    repository = await registry.repositories.for_image(name.repository)
    registry.access.check(call.principal, repository, action)
    return name


__all__ = ["authorized"]
