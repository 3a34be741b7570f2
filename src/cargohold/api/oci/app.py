"""The ``/v2`` ASGI app: routing, authentication and the one place errors are rendered."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address
from cargohold.api.oci.auth import caller, challenge
from cargohold.api.oci.blobs import BlobEndpoints
from cargohold.api.oci.call import Call
from cargohold.api.oci.errors import error_response, unexpected_response
from cargohold.api.oci.listings import ListingEndpoints
from cargohold.api.oci.manifests import ManifestEndpoints
from cargohold.api.oci.operations import challenge_scope, need
from cargohold.api.oci.token import TokenEndpoint
from cargohold.api.oci.uploads import UploadEndpoints, upload_location
from cargohold.core.errors import (
    ChunkOutOfOrder,
    NotFound,
    PolicyViolation,
    RangeNotSatisfiable,
    RegistryError,
    Unsupported,
)
from cargohold.core.names import ImageName
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.policy.policies import BLOCKED_DOWNLOAD
from cargohold.registry.registry import Registry

Handler = Callable[[Call], Awaitable[Response]]
# What the audit log calls each write, by route and method, when it is refused; a write
# that succeeds is recorded by its use case, with the change.
REFUSALS = {
    ("manifests", "PUT"): "manifest.push",
    ("manifests", "DELETE"): "manifest.delete",
    ("uploads", "POST"): "blob.push",
    ("upload", "PATCH"): "blob.push",
    ("upload", "PUT"): "blob.push",
    ("upload", "DELETE"): "upload.cancel",
    ("blobs", "DELETE"): "blob.delete",
}


class OciApp:
    def __init__(self, registry: Registry, public_url: str | None = None) -> None:
        self._registry = registry
        self._public_url = public_url
        self._token = TokenEndpoint(registry)
        blobs = BlobEndpoints(registry)
        uploads = UploadEndpoints(registry)
        manifests = ManifestEndpoints(registry)
        listings = ListingEndpoints(registry)
        name = r"(?P<name>[^?]+?)"
        self._routes: list[tuple[str, re.Pattern[str], dict[str, Handler]]] = [
            (
                "manifests",
                re.compile(rf"^/v2/{name}/manifests/(?P<reference>[^/]+)$"),
                {
                    "GET": manifests.get,
                    "HEAD": manifests.head,
                    "PUT": manifests.put,
                    "DELETE": manifests.delete,
                },
            ),
            (
                "uploads",
                re.compile(rf"^/v2/{name}/blobs/uploads/?$"),
                {"POST": uploads.start},
            ),
            (
                "upload",
                re.compile(rf"^/v2/{name}/blobs/uploads/(?P<upload>[^/]+)$"),
                {
                    "GET": uploads.status,
                    "PATCH": uploads.patch,
                    "PUT": uploads.put,
                    "DELETE": uploads.cancel,
                },
            ),
            (
                "blobs",
                re.compile(rf"^/v2/{name}/blobs/(?P<digest>[^/]+)$"),
                {"GET": blobs.get, "HEAD": blobs.head, "DELETE": blobs.delete},
            ),
            ("tags", re.compile(rf"^/v2/{name}/tags/list$"), {"GET": listings.tags}),
            (
                "referrers",
                re.compile(rf"^/v2/{name}/referrers/(?P<digest>[^/]+)$"),
                {"GET": listings.referrers},
            ),
            ("catalog", re.compile(r"^/v2/_catalog$"), {"GET": listings.catalog}),
            ("base", re.compile(r"^/v2/?$"), {"GET": listings.base, "HEAD": listings.base}),
        ]

    def _route(self, path: str, method: str) -> tuple[str, Handler, dict[str, str]]:
        for kind, pattern, methods in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            handler = methods.get(method)
            if handler is None:
                raise Unsupported(
                    f"{method} is not supported on {path[:200]}; allowed: {', '.join(methods)}",
                    {"allowed": list(methods)},
                )
            return kind, handler, match.groupdict()
        raise NotFound(f"no such endpoint: {path[:200]}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        method = request.method
        kind, params, principal = "", dict[str, str](), None
        blocked = False
        try:
            if scope["path"] == "/v2/token":
                kind = "token"
                response = await self._token(request)
            else:
                kind, handler, params = self._route(scope["path"], method)
                principal = await caller(request, self._registry)
                if "name" in params:
                    # The use case checks again; asking first answers a caller without the
                    # right with the challenge of what the operation needs, before any
                    # complaint about the request itself, so a client can follow it.
                    needed = need(kind, method).action
                    asked = ImageName.parse(params["name"])
                    if needed is Action.WRITE:
                        # Checked where the write goes: a push to a virtual repository goes
                        # to its default deploy repository.
                        principal, target = await self._registry.pulls.deploy(principal, asked)
                        if target != asked:
                            params = {**params, "name": str(target), "asked": str(asked)}
                    else:
                        await self._registry.images.check(principal, asked, needed)
                response = await handler(Call(request, params, principal, kind))
        except ClientDisconnect:
            return
        except RegistryError as exc:
            blocked = isinstance(exc, PolicyViolation)
            headers = _extra_headers(exc, scope["path"])
            if kind != "token":
                headers.update(
                    challenge(
                        request,
                        self._public_url,
                        self._registry.bearer.service,
                        challenge_scope(
                            kind,
                            method,
                            params.get("asked", params.get("name")),
                            request.query_params.get("from"),
                        ),
                        exc,
                    )
                )
            response = error_response(exc, method, headers)
        except Exception:
            response = unexpected_response(method, scope["path"])
        action = REFUSALS.get((kind, method))
        if blocked:
            action = BLOCKED_DOWNLOAD  # who tried to pull what a policy refuses
        if action is not None and response.status_code >= 400:
            await self._audit(request, principal, action, params, response.status_code)
        await response(scope, receive, send)

    async def _audit(
        self,
        request: Request,
        principal: Principal | None,
        action: str,
        params: dict[str, str],
        status: int,
    ) -> None:
        name = params.get("name", "")
        target = name
        if "reference" in params:
            separator = "@" if ":" in params["reference"] else ":"
            target = f"{name}{separator}{params['reference']}"
        elif "digest" in params:
            target = f"{name}@{params['digest']}"
        elif "digest" in request.query_params or "mount" in request.query_params:
            digest = request.query_params.get("digest") or request.query_params.get("mount", "")
            target = f"{name}@{digest}"
        await self._registry.audit.record(
            principal,
            action,
            target,
            status=status,
            client=client_address(request),
            repository=name.partition("/")[0] or None,
        )


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


def build(registry: Registry, public_url: str | None = None) -> OciApp:
    return OciApp(registry, public_url)


__all__ = ["OciApp", "build"]
