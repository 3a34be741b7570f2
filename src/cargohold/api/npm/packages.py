"""The package endpoints of ``/npm/<repository>/``: packuments (full and abbreviated, with
ETag and 304), one version's manifest, tarballs, publish and the packument PUT back
(deprecation, unpublish), and deleting (unpublish)."""

from __future__ import annotations

import hashlib
import json
from email.utils import formatdate
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.files import BlobResponse, not_modified
from cargohold.api.npm.bodies import MAX_PUBLISH, json_object
from cargohold.api.npm.target import Target
from cargohold.core.errors import ResourceUnknown
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.npm.packuments import (
    ABBREVIATED,
    abbreviated,
    full,
    manifest,
    tarball_urls,
)
from cargohold.registry.registry import Registry

JSON = "application/json"


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(json.dumps(body).encode(), status, {"Content-Type": JSON, **(headers or {})})


class PackageEndpoints:
    def __init__(self, registry: Registry, public_url: str | None) -> None:
        self._registry = registry
        self._npm = registry.npm
        self._public_url = public_url.rstrip("/") if public_url else None

    def base(self, request: Request, key: str) -> str:
        root = self._public_url or str(request.base_url).rstrip("/")
        return f"{root}/npm/{quote(key)}"

    # --- reading ------------------------------------------------------------------------

    async def packument(
        self, request: Request, target: Target, principal: Principal | None, *, head: bool
    ) -> Response:
        found = await self._npm.reading.packument(principal, target.repository, target.name)
        urls = tarball_urls(self.base(request, target.repository))
        short = ABBREVIATED in request.headers.get("accept", "")
        doc = abbreviated(found, urls) if short else full(found, urls)
        body = json.dumps(doc).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
        headers = {
            "Content-Type": ABBREVIATED if short else JSON,
            "ETag": etag,
            "Vary": "Accept, Authorization",
            "Cache-Control": "no-cache",
            "Last-Modified": formatdate(max(v.created_at for v in found.versions), usegmt=True),
        }
        if not_modified(request, etag):
            return Response(b"", 304, headers)
        if head:
            return Response(b"", 200, {**headers, "Content-Length": str(len(body))})
        return Response(body, 200, headers)

    async def version(
        self, request: Request, target: Target, principal: Principal | None
    ) -> Response:
        """One version's manifest, by version or dist-tag (``npm view NAME@TAG`` may ask)."""
        found = await self._npm.reading.packument(principal, target.repository, target.name)
        wanted = found.tags.get(target.filename, target.filename)
        version = found.version(wanted)
        if version is None:
            raise ResourceUnknown(
                f"{target.name} has no version or dist-tag {target.filename[:100]!r} in "
                f"repository {target.repository!r}"
            )
        urls = tarball_urls(self.base(request, target.repository))
        return json_response(manifest(version, urls(version)))

    async def tarball(
        self, request: Request, target: Target, principal: Principal | None, *, head: bool
    ) -> Response:
        found = await self._npm.reading.tarball(
            principal, target.repository, target.name, target.filename
        )
        record = found.file
        etag = f'"{record.digest.partition(":")[2]}"'
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(record.size),
            "ETag": etag,
            "Last-Modified": formatdate(record.updated_at, usegmt=True),
            "Cache-Control": "public, max-age=31536000, immutable",
        }
        if not_modified(request, etag):
            del headers["Content-Length"]
            return Response(b"", 304, headers)
        if head:
            return Response(b"", 200, headers)
        info = await self._registry.packages.blob(record)
        return BlobResponse(info, self._registry, headers)

    # --- writing ------------------------------------------------------------------------

    async def put(self, request: Request, target: Target, principal: Principal | None) -> Response:
        actor = Actor(principal, client_address(request))
        if target.kind == "package":
            # Refuse a caller who may not publish before reading a body of up to 512 MiB.
            await self._npm.publishing.target(principal, target.repository, Action.WRITE)
            body = await json_object(request, MAX_PUBLISH)
            if body.get("_attachments"):
                published = await self._npm.publishing.publish(
                    actor, target.repository, target.name, body
                )
                return json_response(
                    {"ok": True, "id": published.name, "version": published.version}, 201
                )
            await self._npm.changes.update(
                actor, target.repository, target.name, body, unpublish=False
            )
            return json_response({"ok": True, "id": target.name})
        await self._npm.publishing.target(principal, target.repository, Action.WRITE)
        body = await json_object(request, MAX_PUBLISH)
        await self._npm.changes.update(actor, target.repository, target.name, body, unpublish=True)
        return json_response({"ok": True, "id": target.name})

    async def delete(
        self, request: Request, target: Target, principal: Principal | None
    ) -> Response:
        actor = Actor(principal, client_address(request))
        if target.kind == "revision":
            await self._npm.changes.unpublish(actor, target.repository, target.name)
        else:
            await self._npm.changes.delete_tarball(
                actor, target.repository, target.name, target.filename
            )
        return json_response({"ok": True})


__all__ = ["PackageEndpoints", "json_response"]
