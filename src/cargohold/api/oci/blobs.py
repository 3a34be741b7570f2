"""``/v2/<name>/blobs/<digest>``: GET (whole or a byte range, sent by ``api/files.py``, or a
307 to a presigned object-store URL when the operator turned redirects on; a blob a remote
repository is fetching from its upstream streams while it arrives), HEAD, DELETE."""

from __future__ import annotations

from starlette.responses import Response

from cargohold.api.files import BlobResponse, IncomingResponse, byte_range
from cargohold.api.oci.call import Call
from cargohold.api.oci.errors import API_VERSION
from cargohold.core.digest import Digest
from cargohold.records.artifacts import BlobInfo
from cargohold.registry.registry import Registry
from cargohold.registry.remote.flight import Incoming


class BlobEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def _info(self, call: Call) -> BlobInfo | Incoming:
        digest = Digest.parse(call.params["digest"])
        return await self._registry.pulls.blob(call.principal, call.name, digest)

    async def head(self, call: Call) -> Response:
        info = await self._info(call)
        if isinstance(info, Incoming):
            # An upstream that did not say the size: wait until it is all in.
            size = info.size if info.size is not None else await info.stored()
            return Response(b"", 200, {**_incoming_headers(info), "Content-Length": str(size)})
        return Response(b"", 200, _headers(info, info.size))

    async def get(self, call: Call) -> Response:
        info = await self._info(call)
        if isinstance(info, Incoming):
            # Arriving from the upstream: the whole blob as it comes (a range request may
            # be answered with the whole content).
            return IncomingResponse(info, _incoming_headers(info))
        location = await self._registry.blobs.redirect(info)
        if location is not None:
            # The client takes the bytes (and any range) from the object store.
            return Response(
                b"",
                307,
                {
                    **API_VERSION,
                    "Location": location,
                    "Docker-Content-Digest": str(info.digest),
                    "Content-Length": "0",
                    "Cache-Control": "no-store",
                },
            )
        wanted = byte_range(call.request.headers.get("range"), info.size)
        if wanted is None:
            return BlobResponse(info, self._registry, _headers(info, info.size))
        start, end = wanted
        headers = _headers(info, end - start + 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        return BlobResponse(info, self._registry, headers, 206, (start, end - start + 1))

    async def delete(self, call: Call) -> Response:
        digest = Digest.parse(call.params["digest"])
        await self._registry.blobs.delete(call.actor, call.name, digest)
        return Response(b"", 202, {**API_VERSION, "Content-Length": "0"})


def _incoming_headers(incoming: Incoming) -> dict[str, str]:
    return {
        **API_VERSION,
        "Content-Type": "application/octet-stream",
        "Docker-Content-Digest": str(incoming.digest),
        "ETag": f'"{incoming.digest}"',
        "Cache-Control": "max-age=31536000",
    }


def _headers(info: BlobInfo, length: int) -> dict[str, str]:
    return {
        **API_VERSION,
        "Content-Type": "application/octet-stream",
        "Content-Length": str(length),
        "Docker-Content-Digest": str(info.digest),
        "ETag": f'"{info.digest}"',
        "Accept-Ranges": "bytes",
        "Cache-Control": "max-age=31536000",
    }


__all__ = ["BlobEndpoints"]
