"""``/docker/{key}/images/{name}/tags/{tag}`` and ``.../manifests/{digest}``: delete an
image's tag (its manifest stays) or a manifest with its tags, saying what went."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.responses import WireResponse
from cargohold.core.names import ImageName, Reference
from cargohold.records.oci import ImageDeletion
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire import repositories as wire


def deletion_wire(deletion: ImageDeletion) -> wire.ImageDeletion:
    return wire.ImageDeletion(
        name=deletion.name,
        digest=deletion.digest,
        tags_removed=list(deletion.tags),
        manifest_removed=deletion.manifest_removed,
        remaining_tags=list(deletion.remaining),
    )


class ImageEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._manifests = registry.manifests

    async def delete_tag(self, request: Request, caller: Principal | None) -> Response:
        return await self._delete(request, caller, request.path_params["tag"])

    async def delete_manifest(self, request: Request, caller: Principal | None) -> Response:
        return await self._delete(request, caller, request.path_params["digest"])

    async def _delete(self, request: Request, caller: Principal | None, ref: str) -> Response:
        params = request.path_params
        name = ImageName.parse(f"{params['key']}/{params['name']}")
        deletion = await self._manifests.remove(
            Actor(caller, client_address(request)), name, Reference.parse(ref)
        )
        return WireResponse(deletion_wire(deletion))


__all__ = ["ImageEndpoints", "deletion_wire"]
