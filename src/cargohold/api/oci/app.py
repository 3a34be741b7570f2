"""The ``/v2`` ASGI app: routing, authentication and the one place errors are rendered."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import principal_of
from cargohold.api.oci.blobs import BlobEndpoints
from cargohold.api.oci.call import Call
from cargohold.api.oci.errors import error_response, unexpected_response
from cargohold.api.oci.listings import ListingEndpoints
from cargohold.api.oci.manifests import ManifestEndpoints
from cargohold.api.oci.uploads import UploadEndpoints, upload_location
from cargohold.core.errors import (
    ChunkOutOfOrder,
    NotFound,
    RangeNotSatisfiable,
    RegistryError,
    Unsupported,
)
from cargohold.core.names import ImageName
from cargohold.registry.registry import Registry

Handler = Callable[[Call], Awaitable[Response]]


class OciApp:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        blobs = BlobEndpoints(registry)
        uploads = UploadEndpoints(registry)
        manifests = ManifestEndpoints(registry)
        listings = ListingEndpoints(registry)
        name = r"(?P<name>[^?]+?)"
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (
                re.compile(rf"^/v2/{name}/manifests/(?P<reference>[^/]+)$"),
                {
                    "GET": manifests.get,
                    "HEAD": manifests.head,
                    "PUT": manifests.put,
                    "DELETE": manifests.delete,
                },
            ),
            (
                re.compile(rf"^/v2/{name}/blobs/uploads/?$"),
                {"POST": uploads.start},
            ),
            (
                re.compile(rf"^/v2/{name}/blobs/uploads/(?P<upload>[^/]+)$"),
                {
                    "GET": uploads.status,
                    "PATCH": uploads.patch,
                    "PUT": uploads.put,
                    "DELETE": uploads.cancel,
                },
            ),
            (
                re.compile(rf"^/v2/{name}/blobs/(?P<digest>[^/]+)$"),
                {"GET": blobs.get, "HEAD": blobs.head, "DELETE": blobs.delete},
            ),
            (re.compile(rf"^/v2/{name}/tags/list$"), {"GET": listings.tags}),
            (re.compile(rf"^/v2/{name}/referrers/(?P<digest>[^/]+)$"), {"GET": listings.referrers}),
            (re.compile(r"^/v2/_catalog$"), {"GET": listings.catalog}),
            (re.compile(r"^/v2/?$"), {"GET": listings.base, "HEAD": listings.base}),
        ]

    def _route(self, path: str, method: str) -> tuple[Handler, dict[str, str]]:
        for pattern, methods in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            handler = methods.get(method)
            if handler is None:
                raise Unsupported(
                    f"{method} is not supported on {path[:200]}; allowed: {', '.join(methods)}",
                    {"allowed": list(methods)},
                )
            return handler, match.groupdict()
        raise NotFound(f"no such endpoint: {path[:200]}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        method = request.method
        try:
            handler, params = self._route(scope["path"], method)
            principal = await principal_of(request, self._registry.access)
            response = await handler(Call(request, params, principal))
        except ClientDisconnect:
            return
        except RegistryError as exc:
            response = error_response(exc, method, _extra_headers(exc, scope["path"]))
        except Exception:
            response = unexpected_response(method)
        await response(scope, receive, send)


def _extra_headers(exc: RegistryError, path: str) -> dict[str, str]:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if isinstance(exc, Unsupported) and "allowed" in detail:
        return {"Allow": ", ".join(detail["allowed"])}
    if isinstance(exc, RangeNotSatisfiable) and "size" in detail:
        return {"Content-Range": f"bytes */{detail['size']}"}
    if isinstance(exc, ChunkOutOfOrder) and "expected" in detail:
        match = re.match(r"^/v2/(.+)/blobs/uploads/([0-9a-f]{32})$", path)
        headers = {"Range": f"0-{max(int(detail['expected']) - 1, 0)}"}
        if match:
            name = ImageName.parse(match.group(1))
            headers["Location"] = upload_location(name, match.group(2))
        return headers
    return {}


def build(registry: Registry) -> OciApp:
    return OciApp(registry)


__all__ = ["OciApp", "build"]
