"""Listings: ``/v2/``, ``/v2/_catalog``, ``/v2/<name>/tags/list`` and the referrers API."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.responses import Response

from cargohold.api.oci.call import Call
from cargohold.api.oci.errors import API_VERSION
from cargohold.core import mediatypes as mt
from cargohold.core.digest import Digest
from cargohold.core.errors import Unauthorized
from cargohold.registry.registry import Registry


class ListingEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def base(self, call: Call) -> Response:
        if call.principal is None:
            raise Unauthorized("log in to use this registry (docker login)")
        return _json({}, 200)

    async def catalog(self, call: Call) -> Response:
        limit, last = call.page()
        names = await self._registry.pulls.catalog(call.principal, last, limit)
        response = _json({"repositories": names}, 200)
        _link(response, "/v2/_catalog", limit, names)
        return response

    async def tags(self, call: Call) -> Response:
        name = call.name
        limit, last = call.page()
        tags = await self._registry.pulls.tags(call.principal, name, last, limit)
        response = _json({"name": str(name), "tags": tags}, 200)
        _link(response, f"/v2/{name}/tags/list", limit, tags)
        return response

    async def referrers(self, call: Call) -> Response:
        subject = Digest.parse(call.params["digest"])
        artifact_type = call.request.query_params.get("artifactType")
        records = await self._registry.pulls.referrers(
            call.principal, call.name, subject, artifact_type
        )
        manifests = []
        for record in records:
            descriptor: dict[str, object] = {
                "mediaType": record.media_type,
                "digest": record.digest,
                "size": record.size,
            }
            if record.artifact_type:
                descriptor["artifactType"] = record.artifact_type
            if record.annotations:
                descriptor["annotations"] = record.annotations
            manifests.append(descriptor)
        index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": manifests}
        response = _json(index, 200, mt.OCI_INDEX)
        if artifact_type is not None:
            response.headers["OCI-Filters-Applied"] = "artifactType"
        return response


def _json(document: object, status: int, content_type: str = "application/json") -> Response:
    body = json.dumps(document).encode()
    return Response(body, status, {**API_VERSION, "Content-Type": content_type})


def _link(response: Response, path: str, limit: int | None, items: list[str]) -> None:
    if limit and len(items) == limit:
        query = urlencode({"n": limit, "last": items[-1]})
        response.headers["Link"] = f'<{path}?{query}>; rel="next"'


__all__ = ["ListingEndpoints"]
