"""``/api/v1``: repositories and health."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import principal_of
from cargohold.api.rest.problems import problem, unexpected_problem
from cargohold.core.errors import BadRequest, NotFound, RegistryError, Unsupported
from cargohold.meta.records import RepositoryRecord
from cargohold.registry.access import Action, Principal
from cargohold.registry.registry import Registry

Endpoint = Callable[[Request], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _repository_json(record: RepositoryRecord) -> dict[str, Any]:
    return {
        "key": record.key,
        "format": record.format,
        "kind": record.kind,
        "anonymousRead": record.anonymous_read,
        "description": record.description,
    }


class RestApp:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._router = Router(
            routes=[
                Route("/health", self._methods(GET=self.health), methods=ALL_METHODS),
                Route(
                    "/repositories",
                    self._methods(GET=self.list_repositories, POST=self.create_repository),
                    methods=ALL_METHODS,
                ),
                Route(
                    "/repositories/{key}",
                    self._methods(GET=self.get_repository, DELETE=self.delete_repository),
                    methods=ALL_METHODS,
                ),
            ],
            default=self._not_found,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._router(scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(NotFound(f"no such endpoint: {scope['path'][:200]}"), scope["path"])
        await response(scope, receive, send)

    def _methods(self, **endpoints: Endpoint) -> Endpoint:
        """One endpoint per path that dispatches on the method and renders every error."""

        async def dispatch(request: Request) -> Response:
            try:
                endpoint = endpoints.get(request.method)
                if endpoint is None:
                    raise Unsupported(
                        f"{request.method} is not allowed here; allowed: {', '.join(endpoints)}"
                    )
                return await endpoint(request)
            except ClientDisconnect:
                return Response(b"", 400)
            except RegistryError as exc:
                return problem(exc, request.url.path)
            except Exception:
                return unexpected_problem(request.url.path)

        return dispatch

    async def _principal(self, request: Request) -> Principal | None:
        return await principal_of(request, self._registry.access)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def list_repositories(self, request: Request) -> Response:
        principal = await self._principal(request)
        access = self._registry.access
        records = await self._registry.repositories.all()
        visible = [r for r in records if access.allows(principal, r, Action.READ)]
        return JSONResponse([_repository_json(r) for r in visible])

    async def get_repository(self, request: Request) -> Response:
        principal = await self._principal(request)
        record = await self._registry.repositories.get(request.path_params["key"])
        self._registry.access.check(principal, record, Action.READ)
        return JSONResponse(_repository_json(record))

    async def create_repository(self, request: Request) -> Response:
        self._registry.access.require_admin(await self._principal(request))
        body = await _json_object(request)
        key = body.get("key")
        if not isinstance(key, str):
            raise BadRequest("'key' (string) is required")
        options = {
            "format": body.get("format", "docker"),
            "kind": body.get("kind", "local"),
            "description": body.get("description", ""),
        }
        for field, value in options.items():
            if not isinstance(value, str):
                raise BadRequest(f"{field!r} must be a string")
        anonymous_read = body.get("anonymousRead", False)
        if not isinstance(anonymous_read, bool):
            raise BadRequest("'anonymousRead' must be true or false")
        record = await self._registry.repositories.create(
            key,
            format=options["format"],
            kind=options["kind"],
            anonymous_read=anonymous_read,
            description=options["description"],
        )
        return JSONResponse(
            _repository_json(record), 201, {"Location": f"/api/v1/repositories/{key}"}
        )

    async def delete_repository(self, request: Request) -> Response:
        self._registry.access.require_admin(await self._principal(request))
        await self._registry.repositories.delete(request.path_params["key"])
        return Response(b"", 204)


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def build(registry: Registry) -> RestApp:
    return RestApp(registry)


__all__ = ["RestApp", "build"]
