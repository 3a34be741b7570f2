"""The ``/deb`` ASGI app: ``GET /deb/REPOSITORY/dists/DIST/...`` (the signed indexes apt
reads), ``GET /deb/REPOSITORY/pool/...`` (packages), ``GET /deb/REPOSITORY/key.asc`` (the
key apt checks the indexes with) and ``PUT /deb/REPOSITORY/pool/PATH.deb;deb.distribution=D;
deb.component=C[;deb.architecture=A]`` (uploads); who is calling, the audit record of every
refusal, and the one place its errors are rendered (apt prints a refusal's reason phrase,
not its body)."""

from __future__ import annotations

from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address
from cargohold.api.deploys import claimed_checksums
from cargohold.api.files import BlobResponse, not_modified, ranged_response
from cargohold.api.framing import serve
from cargohold.api.matrix import raw_path, segment_name
from cargohold.core.errors import BadRequest, NotFound, Unsupported
from cargohold.core.names import validate_repository_key
from cargohold.core.numbers import bounded_int
from cargohold.records.generic import GenericFileRecord
from cargohold.registry.deb.service import Deb
from cargohold.registry.deb.uploads import DebUpload
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry

PREFIX = b"/deb/"
USAGE = (
    "Debian repositories are at /deb/REPOSITORY/ (apt: deb [signed-by=KEY] "
    "http://HOST/deb/REPOSITORY/ DIST COMPONENT; the key at /deb/REPOSITORY/key.asc)"
)
KEY = "key.asc"
READS = ("GET", "HEAD")
PARAMETERS = ("deb.distribution", "deb.component", "deb.architecture")
# what never changes once written (by-hash indexes), and what is revalidated
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
Named = tuple[str, dict[str, list[str]]]  # the path in the repository, its matrix parameters


class DebApp:
    def __init__(self, registry: Registry, deb: Deb) -> None:
        self._registry = registry
        self._deb = deb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve(
            self._registry,
            scope,
            receive,
            send,
            split=lambda scope: _split(raw_path(scope)),
            route=self._route,
            publishing="PUT",
        )

    async def _route(
        self, request: Request, principal: Principal | None, key: str, named: Named
    ) -> Response:
        rest, parameters = named
        method = request.method
        if method == "PUT":
            return await self._upload(request, principal, key, rest, parameters)
        if method not in READS:
            raise _unsupported(method, [*READS, "PUT"])
        if parameters:
            raise BadRequest("matrix parameters (;deb.…) are for uploads (PUT)")
        head = method == "HEAD"
        if rest == KEY:
            text = (await self._deb.reading.public_key(principal, key)).encode()
            headers = {
                "Content-Type": "application/pgp-keys",
                "Content-Length": str(len(text)),
                "Cache-Control": REVALIDATE,
            }
            return Response(b"" if head else text, 200, headers)
        if rest.startswith("dists/"):
            record, info = await self._deb.reading.index(principal, key, rest)
            immutable = "/by-hash/" in rest
            headers = _headers(record, IMMUTABLE if immutable else REVALIDATE)
            if not immutable and _unchanged_since(request, record, headers["ETag"]):
                del headers["Content-Length"]
                return Response(b"", 304, headers)
            if head:
                return Response(b"", 200, headers)
            return BlobResponse(info, self._registry, headers)
        if rest.startswith("pool/"):
            found = await self._deb.reading.package(principal, key, rest)
            record = found.file
            # Other bytes may come to a pool path (a repository that allows overwriting).
            headers = _headers(record, REVALIDATE)
            headers["Accept-Ranges"] = "bytes"
            headers["Content-Type"] = "application/vnd.debian.binary-package"
            if head:
                return Response(b"", 200, headers)
            info = await self._deb.reading.blob(found)
            return ranged_response(request.headers.get("range"), info, self._registry, headers)
        raise NotFound(USAGE)

    async def _upload(
        self,
        request: Request,
        principal: Principal | None,
        key: str,
        rest: str,
        parameters: dict[str, list[str]],
    ) -> Response:
        unknown = sorted(set(parameters) - set(PARAMETERS))
        if unknown:
            raise BadRequest(
                f"unknown matrix parameter {unknown[0][:60]!r}: a Debian upload takes "
                + ", ".join(PARAMETERS)
            )
        architectures = parameters.get("deb.architecture", [])
        if len(architectures) > 1:
            raise BadRequest("a package is for one architecture: one deb.architecture")
        actor = Actor(principal, client_address(request))
        # Who may write is known before a byte of the body is read.
        record = await self._deb.uploads.target(actor, key)
        upload = DebUpload(
            rest,
            _unique(parameters.get("deb.distribution", [])),
            _unique(parameters.get("deb.component", [])),
            architectures[0] if architectures else None,
            claimed_checksums(request),
        )
        length = bounded_int(request.headers.get("content-length"))
        uploaded = await self._deb.uploads.upload(actor, record, upload, request.stream(), length)
        file = uploaded.file.file
        root = f"{request.scope.get('root_path', '')}/deb/{quote(key)}"
        location = f"{root}/{quote(file.path)}"
        body = {
            "repo": key,
            "path": file.path,
            "package": uploaded.control.package,
            "version": uploaded.control.version,
            "architecture": uploaded.control.architecture,
            "distributions": list(upload.distributions),
            "components": list(upload.components),
            "size": file.size,
            "checksums": {
                "sha256": file.digest.partition(":")[2],
                "sha1": file.sha1,
                "md5": file.md5,
            },
            "downloadUri": location,
        }
        return JSONResponse(body, 201, {"Location": location})


def _headers(record: GenericFileRecord, cache: str) -> dict[str, str]:
    sha256 = record.digest.partition(":")[2]
    return {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(record.size),
        "ETag": f'"{sha256}"',
        "Last-Modified": formatdate(record.updated_at, usegmt=True),
        "Cache-Control": cache,
        "X-Checksum-Sha256": sha256,
    }


def _unchanged_since(request: Request, record: GenericFileRecord, etag: str) -> bool:
    """Whether the client's copy (``If-None-Match``, else ``If-Modified-Since``) is current."""
    if request.headers.get("if-none-match") is not None:
        return not_modified(request, etag)
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return int(record.updated_at) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


def _split(raw: bytes) -> tuple[str, Named]:
    if not raw.startswith(PREFIX):
        raise NotFound(USAGE)
    parameters: dict[str, list[str]] = {}
    names = [segment_name(segment, parameters) for segment in raw[len(PREFIX) :].split(b"/")]
    key = names[0]
    if not key:
        raise NotFound(USAGE)
    validate_repository_key(key)
    return key, ("/".join(names[1:]), parameters)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _unsupported(method: str, allowed: list[str]) -> Unsupported:
    return Unsupported(
        f"{method} is not supported here; allowed: {', '.join(allowed)}", {"allowed": allowed}
    )


def build(registry: Registry, public_url: str | None = None) -> DebApp:
    return DebApp(registry, registry.deb)


__all__ = ["DebApp", "build"]
