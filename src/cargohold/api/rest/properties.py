"""``/properties``: key → values on an image digest, a tag, a generic file or a package
version.

The artifact is named by query parameters: ``repository`` and either ``image`` with
``digest`` or ``tag``, or ``path`` (a generic file), or ``package`` with ``version``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.responses import WireResponse
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.lifecycle.properties import ArtifactRef, Change
from cargohold.registry.registry import Registry
from cargohold.wire.lifecycle import Properties, PropertiesUpdate


def artifact_ref(request: Request) -> ArtifactRef:
    query = request.query_params
    return ArtifactRef(
        query.get("repository"),
        image=query.get("image"),
        digest=query.get("digest"),
        tag=query.get("tag"),
        path=query.get("path"),
        package=query.get("package"),
        version=query.get("version"),
    )


class PropertyEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._properties = registry.properties

    async def get(self, request: Request, caller: Principal | None) -> Response:
        found, values = await self._properties.get(caller, artifact_ref(request))
        return WireResponse(Properties(found.repository.key, found.subject, values))

    async def put(self, request: Request, caller: Principal | None) -> Response:
        async def read_change() -> Change:
            body = await Body.read(request, PropertiesUpdate)
            return Change(body.mapping("properties"), body.boolean("replace", False))

        found, stored = await self._properties.set(
            Actor(caller, client_address(request)), artifact_ref(request), read_change
        )
        return WireResponse(Properties(found.repository.key, found.subject, stored))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        raw = request.query_params.get("keys")
        keys = [k for k in raw.split(",") if k] if raw else None
        await self._properties.delete(
            Actor(caller, client_address(request)), artifact_ref(request), keys
        )
        return Response(b"", 204)


__all__ = ["PropertyEndpoints"]
