"""Downloads of distribution files and of wheels' core metadata (PEP 658:
``FILE.metadata``), whole or a byte range, with HEAD."""

from __future__ import annotations

import hashlib
from email.utils import formatdate
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.files import IncomingResponse, ranged_response
from cargohold.core.errors import ResourceUnknown
from cargohold.records.packages import PackageFile
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.pypi.index import Arriving, PypiIndex
from cargohold.registry.registry import Registry

METADATA = ".metadata"


def file_headers(found: PackageFile, filename: str, length: int, sha256: str) -> dict[str, str]:
    return {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(length),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Accept-Ranges": "bytes",
        "ETag": f'"{sha256}"',
        "Last-Modified": formatdate(found.file.updated_at, usegmt=True),
        "X-Checksum-Sha256": sha256,
    }


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
        # A HEAD of a file not fetched yet waits until it is kept, then answers as for any.
        found = await self._index.download(principal, key, name, version, filename, stream=not head)
        if isinstance(found, Arriving):
            incoming = found.incoming
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
                "ETag": f'"{incoming.digest.hex}"',
                "X-Checksum-Sha256": incoming.digest.hex,
            }
            return IncomingResponse(incoming, headers)
        sha256 = found.file.digest.partition(":")[2]
        size = found.file.size
        headers = file_headers(found, filename, size, sha256)
        if head:
            return Response(b"", 200, headers)
        info = await self._registry.packages.blob(found.file)
        return ranged_response(request.headers.get("range"), info, self._registry, headers)

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
