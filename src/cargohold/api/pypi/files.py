"""Downloads of distribution files and of wheels' core metadata (PEP 658:
``FILE.metadata``), whole or a byte range, with HEAD."""

from __future__ import annotations

import hashlib
import logging
from email.utils import formatdate
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.files import BlobResponse, byte_range
from cargohold.core.errors import RegistryError, ResourceUnknown
from cargohold.records.packages import PackageFile
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.pypi.index import Arriving, PypiIndex
from cargohold.registry.registry import Registry

METADATA = ".metadata"
log = logging.getLogger("cargohold.pypi")


def file_headers(found: PackageFile, filename: str, length: int, sha256: str) -> dict[str, str]:
    return {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(length),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
        "ETag": f'"{sha256}"',
        "Last-Modified": formatdate(found.file.updated_at, usegmt=True),
        "X-Checksum-Sha256": sha256,
    }


class ArrivingResponse(Response):
    """A file's bytes while they arrive from a remote repository's upstream. Should the
    fetch fail midway, the response ends short of its Content-Length: the client sees a
    broken download, and nothing of it was kept."""

    def __init__(self, arriving: Arriving, *, head: bool) -> None:
        incoming = arriving.incoming
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(arriving.filename)}",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{incoming.digest.hex}"',
            "X-Checksum-Sha256": incoming.digest.hex,
        }
        if incoming.size is not None:
            headers["Content-Length"] = str(incoming.size)
        super().__init__(None, 200, headers)
        self._incoming = incoming
        self._head = head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        if not self._head:
            sent = 0
            try:
                async for chunk in self._incoming.chunks():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    sent += len(chunk)
            except RegistryError as exc:
                # Ends unfinished: the server closes the connection, as the upstream would.
                log.warning("a file from an upstream ended after %d bytes: %s", sent, exc.message)
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class Downloads:
    def __init__(self, registry: Registry, index: PypiIndex) -> None:
        self._registry = registry
        self._index = index

    async def get(
        self,
        request: Request,
        principal: Principal | None,
        key: str,
        parts: list[str],
        *,
        head: bool,
    ) -> Response:
        if len(parts) != 3 or not all(parts):
            raise ResourceUnknown(
                "files are at /pypi/REPOSITORY/files/NAME/VERSION/FILENAME",
            )
        name, version, filename = parts
        if filename.endswith(METADATA):
            return await self._metadata(principal, key, name, version, filename, head=head)
        found = await self._index.download(principal, key, name, version, filename, stream=True)
        if isinstance(found, Arriving):
            return ArrivingResponse(found, head=head)
        sha256 = found.file.digest.partition(":")[2]
        size = found.file.size
        headers = file_headers(found, filename, size, sha256)
        if head:
            return Response(b"", 200, headers)
        info = await self._registry.packages.blob(found.file)
        wanted = byte_range(request.headers.get("range"), size)
        if wanted is None:
            return BlobResponse(info, self._registry, headers)
        start, end = wanted
        headers["Content-Length"] = str(end - start + 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return BlobResponse(info, self._registry, headers, 206, (start, end - start + 1))

    async def _metadata(
        self,
        principal: Principal | None,
        key: str,
        name: str,
        version: str,
        filename: str,
        *,
        head: bool,
    ) -> Response:
        wheel = filename.removesuffix(METADATA)
        found = await self._index.download(principal, key, name, version, wheel)
        if isinstance(found, Arriving) or found.core_metadata is None:
            raise ResourceUnknown(f"no core metadata of {wheel} in repository {key!r}")
        body = found.core_metadata
        headers = file_headers(found, filename, len(body), hashlib.sha256(body).hexdigest())
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response(b"" if head else body, 200, headers)


__all__ = ["METADATA", "Downloads"]
