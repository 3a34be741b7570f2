"""``/v2/<name>/blobs/uploads/``: monolithic, single-request, chunked and resumable uploads,
and cross-repository mounts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from starlette.responses import Response

from cargohold.api.oci.call import Call
from cargohold.api.oci.errors import API_VERSION
from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BlobUploadInvalid,
    ChunkOutOfOrder,
    DigestInvalid,
)
from cargohold.core.names import ImageName
from cargohold.core.numbers import bounded_int
from cargohold.registry.registry import Registry

_CONTENT_RANGE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


class UploadEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def start(self, call: Call) -> Response:
        name, actor, blobs = call.name, call.actor, self._registry.blobs
        query = call.request.query_params
        mount, source = query.get("mount"), query.get("from")
        if mount is not None and source is not None:
            digest = Digest.parse(mount)
            if await blobs.mount(actor, name, digest, source):
                return _created(call.shown_name, digest)
        if "digest" in query:
            digest = Digest.parse(query["digest"])
            length = _length(call)
            if length is not None:
                await blobs.admit(actor, name, length, digest)
            upload_id = await blobs.start_upload(actor, name)
            await blobs.append(actor, name, upload_id, _body(call))
            await blobs.complete(actor, name, upload_id, digest)
            return _created(call.shown_name, digest)
        upload_id = await blobs.start_upload(actor, name)
        return _accepted(call.shown_name, upload_id, 0)

    async def patch(self, call: Call) -> Response:
        name = call.name
        upload_id = call.params["upload"]
        offset = _offset(call)
        await self._admit(call, upload_id, offset)
        size = await self._registry.blobs.append(call.actor, name, upload_id, _body(call), offset)
        return _accepted(call.shown_name, upload_id, size)

    async def put(self, call: Call) -> Response:
        name = call.name
        upload_id = call.params["upload"]
        raw = call.request.query_params.get("digest")
        if raw is None:
            raise DigestInvalid("the digest query parameter is required to complete an upload")
        digest = Digest.parse(raw)
        offset = _offset(call)
        await self._admit(call, upload_id, offset, digest)
        await self._registry.blobs.append(call.actor, name, upload_id, _body(call), offset)
        await self._registry.blobs.complete(call.actor, name, upload_id, digest)
        return _created(call.shown_name, digest)

    async def _admit(
        self, call: Call, upload_id: str, offset: int | None, digest: Digest | None = None
    ) -> None:
        """Refuse a body whose length is known before it is read when it would exceed a
        quota (the upload is then cancelled)."""
        length = _length(call)
        if length:
            await self._registry.blobs.admit(
                call.actor, call.name, length, digest, upload_id, offset
            )

    async def status(self, call: Call) -> Response:
        name = call.name
        upload_id = call.params["upload"]
        size = await self._registry.blobs.upload_size(call.actor, name, upload_id)
        response = _accepted(call.shown_name, upload_id, size)
        response.status_code = 204
        return response

    async def cancel(self, call: Call) -> Response:
        await self._registry.blobs.cancel(call.actor, call.name, call.params["upload"])
        return Response(b"", 204, {**API_VERSION, "Content-Length": "0"})


async def _body(call: Call) -> AsyncIterator[bytes]:
    async for chunk in call.request.stream():
        if chunk:
            yield chunk


def _length(call: Call) -> int | None:
    """The body's Content-Length, when the client sent one."""
    return bounded_int(call.request.headers.get("content-length"))


def _offset(call: Call) -> int | None:
    header = call.request.headers.get("content-range")
    if header is None:
        return None
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise BlobUploadInvalid(f"malformed Content-Range {header[:100]!r}; expected <start>-<end>")
    start, end = bounded_int(match.group(1)), bounded_int(match.group(2))
    if start is None or end is None:
        raise ChunkOutOfOrder(
            f"Content-Range {header[:100]!r} lies beyond any upload this registry accepts"
        )
    if end < start:
        raise BlobUploadInvalid(f"Content-Range {header[:100]!r} ends before it starts")
    length = call.request.headers.get("content-length")
    if length is not None and bounded_int(length) != end - start + 1:
        raise BlobUploadInvalid(
            f"Content-Range {header[:100]!r} announces {end - start + 1} bytes, "
            f"Content-Length {length}"
        )
    return start


def upload_location(name: ImageName, upload_id: str) -> str:
    return f"/v2/{name}/blobs/uploads/{upload_id}"


def _accepted(name: ImageName, upload_id: str, size: int) -> Response:
    return Response(
        b"",
        202,
        {
            **API_VERSION,
            "Location": upload_location(name, upload_id),
            "Range": f"0-{max(size - 1, 0)}",
            "Docker-Upload-UUID": upload_id,
            "Content-Length": "0",
        },
    )


def _created(name: ImageName, digest: Digest) -> Response:
    return Response(
        b"",
        201,
        {
            **API_VERSION,
            "Location": f"/v2/{name}/blobs/{digest}",
            "Docker-Content-Digest": str(digest),
            "Content-Length": "0",
        },
    )


__all__ = ["UploadEndpoints", "upload_location"]
