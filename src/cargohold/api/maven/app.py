"""The ``/maven`` ASGI app: ``GET``/``HEAD`` of any file of the Maven 2 layout under
``/maven/REPOSITORY/`` (artifacts, ``maven-metadata.xml``, their checksum files) and ``PUT``
of them (``mvn deploy``, ``deploy:deploy-file``, Gradle's ``maven-publish``); who is calling,
the audit record of every refusal, and the one place its errors are rendered."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from email.utils import formatdate

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address
from cargohold.api.deploys import claimed_checksums
from cargohold.api.files import BlobResponse
from cargohold.api.framing import serve
from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ResourceUnknown,
    Unsupported,
)
from cargohold.core.names import validate_repository_key
from cargohold.core.numbers import bounded_int
from cargohold.records.packages import PackageFile
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.maven.layout import USAGE, parse_path
from cargohold.registry.maven.repository import Document, MavenRepository
from cargohold.registry.registry import Registry

PREFIX = "/maven/"
CONFLICT = "Conflict: "  # what starts the reason of a 409: mvn prints "status: 409 <reason>"
ALLOWED = ("GET", "HEAD", "PUT")
MAX_FILE = 4 * 1024**3  # bytes of one deployed file
CONTENT_TYPES = {
    "jar": "application/java-archive",
    "war": "application/java-archive",
    "ear": "application/java-archive",
    "pom": "application/xml",
    "xml": "application/xml",
    "module": "application/json",
    "json": "application/json",
}


class MavenApp:
    def __init__(self, registry: Registry, repository: MavenRepository) -> None:
        self._registry = registry
        self._repository = repository

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve(
            self._registry,
            scope,
            receive,
            send,
            split=lambda scope: _split(scope.get("path", "")),
            route=self._route,
            publishing="PUT",
            conflict=CONFLICT,
        )

    async def _route(
        self, request: Request, principal: Principal | None, key: str, rest: str
    ) -> Response:
        method = request.method
        if method not in ALLOWED:
            raise Unsupported(
                f"{method} is not supported here; allowed: {', '.join(ALLOWED)}",
                {"allowed": list(ALLOWED)},
            )
        if method == "PUT":
            actor = Actor(principal, client_address(request))
            # Who may write is known before a byte of the body is read.
            record = await self._repository.target(principal, key)
            target = parse_path(rest)
            length = bounded_int(request.headers.get("content-length"))
            if length is not None and length > MAX_FILE:
                raise PayloadTooLarge(f"a deployed file is limited to {MAX_FILE} bytes")
            # What Maven 3.9 and Gradle send beside a file (Artifactory's and Nexus's way).
            claimed = claimed_checksums(request)
            await self._repository.deploy(actor, record, target, _body(request), length, claimed)
            return Response(b"", 201)
        try:
            target = parse_path(rest)
        except BadRequest as exc:
            # Nothing is there: a directory, a catalog a tool probes for, a path of no layout.
            raise ResourceUnknown(exc.message) from None
        found = await self._repository.read(principal, key, target)
        head = method == "HEAD"
        if isinstance(found, Document):
            return _document(found, head=head)
        return await self._file(found, head=head)

    async def _file(self, found: PackageFile, *, head: bool) -> Response:
        record = found.file
        sha256 = Digest.parse(record.digest).hex
        extension = found.filename.rpartition(".")[2]
        headers = {
            "Content-Type": CONTENT_TYPES.get(extension, "application/octet-stream"),
            "Content-Length": str(record.size),
            "Last-Modified": formatdate(record.updated_at, usegmt=True),
            "ETag": f'"{record.sha1 or sha256}"',
            "X-Checksum-Sha256": sha256,
        }
        if record.sha1:
            headers["X-Checksum-Sha1"] = record.sha1
        if record.md5:
            headers["X-Checksum-Md5"] = record.md5
        if head:
            return Response(b"", 200, headers)
        info = await self._registry.packages.blob(record)
        return BlobResponse(info, self._registry, headers)


def _document(found: Document, *, head: bool) -> Response:
    sha1 = hashlib.sha1(found.body).hexdigest()
    headers = {
        "Content-Type": f"{found.content_type}; charset=utf-8",
        "Content-Length": str(len(found.body)),
        "Last-Modified": formatdate(found.updated_at, usegmt=True),
        "ETag": f'"{sha1}"',
        "X-Checksum-Sha1": sha1,
        "X-Checksum-Md5": hashlib.md5(found.body).hexdigest(),
        "X-Checksum-Sha256": hashlib.sha256(found.body).hexdigest(),
    }
    return Response(b"" if head else found.body, 200, headers)


async def _body(request: Request) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > MAX_FILE:
            raise PayloadTooLarge(f"a deployed file is limited to {MAX_FILE} bytes")
        if chunk:
            yield chunk


def _split(path: str) -> tuple[str, str]:
    if not path.startswith(PREFIX):
        raise NotFound(USAGE)
    key, _, rest = path[len(PREFIX) :].partition("/")
    if not key:
        raise NotFound(USAGE)
    validate_repository_key(key)
    return key, rest


def build(registry: Registry, public_url: str | None = None) -> MavenApp:
    return MavenApp(registry, MavenRepository(registry.packages, time.time))


__all__ = ["MavenApp", "build"]
