"""The ``/pypi`` ASGI app: ``/pypi/REPOSITORY/simple/`` (the project index),
``/pypi/REPOSITORY/simple/PROJECT/`` (a project's files), ``/pypi/REPOSITORY/files/NAME/
VERSION/FILENAME[.metadata]`` (downloads) and ``POST /pypi/REPOSITORY/`` (uploads); who is
calling, the audit record of every refusal, and the one place its errors are rendered."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from cargohold.api.framing import serve
from cargohold.api.pypi import simple
from cargohold.api.pypi.files import Downloads
from cargohold.api.pypi.upload import Uploads
from cargohold.core.errors import (
    NotFound,
    Unsupported,
)
from cargohold.core.names import validate_repository_key
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.pypi.distributions import normalize
from cargohold.registry.pypi.index import PypiIndex
from cargohold.registry.pypi.remote import RemotePypi
from cargohold.registry.pypi.uploads import PypiUploads
from cargohold.registry.registry import Registry

PREFIX = "/pypi/"
READS = ("GET", "HEAD")
USAGE = (
    "PyPI repositories are at /pypi/REPOSITORY/simple/ (pip install --index-url) and "
    "/pypi/REPOSITORY/ (twine upload --repository-url)"
)


class PypiApp:
    def __init__(self, registry: Registry, index: PypiIndex, uploads: PypiUploads) -> None:
        self._registry = registry
        self._index = index
        self._downloads = Downloads(registry, index)
        self._uploads = Uploads(uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve(
            self._registry,
            scope,
            receive,
            send,
            split=lambda scope: _split(scope.get("path", "")),
            route=self._route,
            publishing="POST",
        )

    async def _route(
        self, request: Request, principal: Principal | None, key: str, rest: list[str]
    ) -> Response:
        method = request.method
        if rest in ([], [""], ["legacy"], ["legacy", ""]):
            if method != "POST":
                raise _unsupported(method, ["POST"])
            await self._uploads.post(request, principal, key)
            return PlainTextResponse("OK\n")
        if method not in READS:
            raise _unsupported(method, list(READS))
        head = method == "HEAD"
        if rest[0] == "files":
            return await self._downloads.get(request, principal, key, rest[1:], head=head)
        if rest[0] != "simple" or len(rest) > 3:
            raise NotFound(USAGE)
        base = f"{request.scope.get('root_path', '')}{PREFIX}{quote(key)}/simple/"
        if len(rest) == 1:
            return RedirectResponse(base, 301)
        content_type = simple.negotiate(request.headers.get("accept"))
        if rest == ["simple", ""]:
            names = await self._index.names(principal, key)
            if simple.is_json(content_type):
                return _page(content_type, simple.index_json(names), head=head)
            return _page(content_type, simple.index_html(names), head=head)
        project = rest[1]
        wanted = normalize(project)
        if len(rest) == 2 or rest[2] != "" or wanted != project:
            return RedirectResponse(base + quote(wanted) + "/", 301, {"Vary": "Accept"})
        page = await self._index.project(principal, key, project)
        if simple.is_json(content_type):
            return _page(content_type, simple.project_json(page), head=head)
        return _page(content_type, simple.project_html(page), head=head)


def _page(content_type: str, page: str | dict[str, Any], *, head: bool) -> Response:
    if isinstance(page, str):
        body, media = page.encode(), f"{content_type}; charset=utf-8"
    else:
        body, media = json.dumps(page).encode(), content_type
    headers = {"Content-Type": media, "Vary": "Accept", "Content-Length": str(len(body))}
    return Response(b"" if head else body, 200, headers)


def _split(path: str) -> tuple[str, list[str]]:
    if not path.startswith(PREFIX):
        raise NotFound(USAGE)
    key, *rest = path[len(PREFIX) :].split("/")
    if not key:
        raise NotFound(USAGE)
    validate_repository_key(key)
    return key, rest


def _unsupported(method: str, allowed: list[str]) -> Unsupported:
    return Unsupported(
        f"{method} is not supported here; allowed: {', '.join(allowed)}", {"allowed": allowed}
    )


def build(registry: Registry, public_url: str | None = None) -> PypiApp:
    remote = RemotePypi(
        registry.packages,
        registry.package_cache,
        registry.upstream,
        registry.flights,
        registry.freshness,
        time.time,
    )
    index = PypiIndex(registry.packages, registry.package_members, remote)
    uploads = PypiUploads(registry.packages, registry.package_members, time.time)
    return PypiApp(registry, index, uploads)


__all__ = ["PypiApp", "build"]
