"""``/generic/<repository>/<path>``: GET (a file, whole or a byte range, or a folder listing
as JSON), HEAD, PUT (with checksums, or by checksum), DELETE."""

from __future__ import annotations

import mimetypes
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.credentials import client_address
from cargohold.api.deploys import claimed_checksums
from cargohold.api.files import not_modified, ranged_response
from cargohold.api.generic.target import Target
from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.core.numbers import bounded_int
from cargohold.core.times import rfc3339
from cargohold.records.generic import GenericFileRecord
from cargohold.registry.generic.files import Deployed, Listing, checksums_of
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry

# What browsers would run rather than save; served as bytes.
ACTIVE_CONTENT = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml")


def iso_time(value: float) -> str:
    return rfc3339(value, "milliseconds")


def file_url(request: Request, repository: str, path: str) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/generic/{repository}/{quote(path)}"


def content_type(path: str) -> str:
    guessed, encoding = mimetypes.guess_type(path, strict=False)
    if guessed is None or encoding is not None or guessed in ACTIVE_CONTENT:
        return "application/octet-stream"
    return guessed


def file_headers(record: GenericFileRecord, length: int) -> dict[str, str]:
    checksums = checksums_of(record)
    name = record.path.rpartition("/")[2]
    return {
        "Content-Type": content_type(record.path),
        "Content-Length": str(length),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "Accept-Ranges": "bytes",
        "ETag": f'"{checksums.sha256}"',
        "Last-Modified": formatdate(record.updated_at, usegmt=True),
        "X-Checksum-Sha256": checksums.sha256 or "",
        "X-Checksum-Sha1": record.sha1,
        "X-Checksum-Md5": record.md5,
    }


def listing_json(listing: Listing) -> dict[str, Any]:
    children: list[dict[str, Any]] = []
    for entry in listing.children:
        if entry.file is None:
            children.append({"uri": f"/{entry.name}", "folder": True})
            continue
        children.append(
            {
                "uri": f"/{entry.name}",
                "folder": False,
                "size": entry.file.size,
                "sha256": checksums_of(entry.file).sha256,
                "lastModified": iso_time(entry.file.updated_at),
            }
        )
    body: dict[str, Any] = {
        "repo": listing.repository,
        "path": f"/{listing.folder}",
        "children": children,
    }
    if listing.truncated:
        body["truncated"] = True
    return body


def deployed_json(request: Request, deployed: Deployed) -> dict[str, Any]:
    """What Artifactory answers to a deploy."""
    record = deployed.file
    checksums = checksums_of(record)
    sums = {"sha256": checksums.sha256, "sha1": record.sha1, "md5": record.md5}
    url = file_url(request, record.repository, record.path)
    return {
        "repo": record.repository,
        "path": f"/{record.path}",
        "created": iso_time(record.created_at),
        "createdBy": record.created_by,
        "lastModified": iso_time(record.updated_at),
        "downloadUri": url,
        "mimeType": content_type(record.path),
        "size": str(record.size),
        "checksums": sums,
        "originalChecksums": sums,
        "uri": url,
    }


class FileEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._files = registry.generic

    async def get(self, request: Request, target: Target, principal: Principal | None) -> Response:
        return await self._read(request, target, principal, head=False)

    async def head(self, request: Request, target: Target, principal: Principal | None) -> Response:
        return await self._read(request, target, principal, head=True)

    async def _read(
        self, request: Request, target: Target, principal: Principal | None, *, head: bool
    ) -> Response:
        files = self._files
        record = None
        if not target.folder:
            record = await files.lookup(principal, target.repository, target.path)
        if record is None:
            try:
                listing = await files.listing(principal, target.repository, target.path)
            except ResourceUnknown:
                what = "folder" if target.folder else "file or folder"
                raise ResourceUnknown(
                    f"no {what} {target.path!r} in repository {target.repository!r}"
                ) from None
            response = JSONResponse(listing_json(listing))
            if head:
                return Response(b"", 200, dict(response.headers))
            return response
        headers = file_headers(record, record.size)
        if not_modified(request, headers["ETag"]):
            del headers["Content-Length"]
            return Response(b"", 304, headers)
        if head:
            return Response(b"", 200, headers)
        info = await files.blob(record)
        return ranged_response(request.headers.get("range"), info, self._registry, headers)

    async def put(self, request: Request, target: Target, principal: Principal | None) -> Response:
        if target.folder:
            raise BadRequest(
                "a file path is required (without a trailing '/'): folders exist as long as "
                "they hold files"
            )
        claimed = claimed_checksums(request)
        actor = Actor(principal, client_address(request))
        if request.headers.get("x-checksum-deploy", "").strip().lower() == "true":
            deployed = await self._files.deploy_by_checksum(
                actor, target.repository, target.path, claimed, target.properties
            )
        else:
            deployed = await self._files.deploy(
                actor,
                target.repository,
                target.path,
                request.stream(),
                claimed,
                target.properties,
                bounded_int(request.headers.get("content-length")),
            )
        body = deployed_json(request, deployed)
        return JSONResponse(body, 201, {"Location": body["uri"]})

    async def delete(
        self, request: Request, target: Target, principal: Principal | None
    ) -> Response:
        if not target.path:
            raise BadRequest("name a file or folder to delete, not the repository's root")
        await self._files.delete(
            Actor(principal, client_address(request)), target.repository, target.path
        )
        return Response(b"", 204)


__all__ = ["FileEndpoints"]
