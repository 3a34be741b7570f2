"""``/v2/<name>/manifests/<reference>``: GET, HEAD, PUT, DELETE by tag or digest."""

from __future__ import annotations

import functools

from starlette.responses import Response

from cargohold.api.oci.call import Call
from cargohold.api.oci.errors import API_VERSION
from cargohold.api.reading import read_limited
from cargohold.core import mediatypes as mt
from cargohold.core.errors import ManifestTooLarge, ManifestUnknown, NameInvalid
from cargohold.core.manifest import MAX_MANIFEST_BYTES
from cargohold.core.names import Reference
from cargohold.registry.oci.manifests import StoredManifest
from cargohold.registry.registry import Registry


class ManifestEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def _fetch(self, call: Call) -> StoredManifest:
        try:
            reference = Reference.parse(call.params["reference"])
        except NameInvalid as exc:
            # No manifest can have that tag: the spec answers a pull of it with 404.
            raise ManifestUnknown(exc.message, exc.detail) from exc
        return await self._registry.pulls.manifest(
            call.principal, call.name, reference, _accepted(call)
        )

    async def get(self, call: Call) -> Response:
        stored = await self._fetch(call)
        return EncodedResponse(
            stored.body, _headers(stored.record.digest, stored.record.media_type, len(stored.body))
        )

    async def head(self, call: Call) -> Response:
        stored = await self._fetch(call)
        return EncodedResponse(
            b"", _headers(stored.record.digest, stored.record.media_type, len(stored.body))
        )

    async def put(self, call: Call) -> Response:
        reference = Reference.parse(call.params["reference"])
        name = call.name

        async def read_body() -> bytes:
            return await read_limited(
                call.request,
                MAX_MANIFEST_BYTES,
                lambda message: ManifestTooLarge(f"manifest: {message}"),
            )

        pushed = await self._registry.manifests.put(
            call.actor, name, reference, read_body, call.request.headers.get("content-type")
        )
        headers = {
            **API_VERSION,
            "Location": f"/v2/{call.shown_name}/manifests/{pushed.digest}",
            "Docker-Content-Digest": str(pushed.digest),
            "Content-Length": "0",
        }
        if pushed.subject is not None:
            headers["OCI-Subject"] = str(pushed.subject)
        return Response(b"", 201, headers)

    async def delete(self, call: Call) -> Response:
        reference = Reference.parse(call.params["reference"])
        await self._registry.manifests.delete(call.actor, call.name, reference)
        return Response(b"", 202, {**API_VERSION, "Content-Length": "0"})


def _accepted(call: Call) -> frozenset[str] | None:
    """Manifest media types the client lists in Accept; None when it accepts any."""
    return _parse_accept(tuple(call.request.headers.getlist("accept")))


@functools.lru_cache(maxsize=256)
def _parse_accept(values: tuple[str, ...]) -> frozenset[str] | None:
    types = set()
    for value in values:
        for part in value.split(","):
            media_type, _, parameters = part.partition(";")
            if parameters.replace(" ", "").lower() in {"q=0", "q=0.0", "q=0.00", "q=0.000"}:
                continue  # explicitly not acceptable
            types.add(media_type.strip().lower())
    if "*/*" in types:
        return None
    wanted = frozenset(t for t in types if t in mt.MANIFESTS)
    return wanted or None


class EncodedResponse(Response):
    """A 200 whose headers are already encoded: the manifest pull is the hottest path."""

    def __init__(self, body: bytes, headers: tuple[tuple[bytes, bytes], ...]) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = list(headers)


@functools.lru_cache(maxsize=4096)
def _headers(digest: str, media_type: str, length: int) -> tuple[tuple[bytes, bytes], ...]:
    fields = {
        **API_VERSION,
        "Content-Type": media_type,
        "Content-Length": str(length),
        "Docker-Content-Digest": digest,
        "ETag": f'"{digest}"',
    }
    return tuple((k.lower().encode(), v.encode()) for k, v in fields.items())


__all__ = ["ManifestEndpoints"]
