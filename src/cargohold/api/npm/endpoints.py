"""The registry API's own endpoints under ``/npm/<repository>/-/``: ``npm login`` and
``whoami``, ``ping``, dist-tags, ``npm search`` and the bulk advisory endpoint of ``npm
audit``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.npm.bodies import audit_body, json_body, json_object
from cargohold.api.npm.packages import json_response
from cargohold.api.npm.target import Target, take_name
from cargohold.core.errors import BadRequest, NotFound, Unsupported
from cargohold.core.numbers import bounded_int
from cargohold.core.times import rfc3339
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.npm.names import readable_name
from cargohold.registry.registry import Registry

USER = "org.couchdb.user:"


def _unsupported(method: str, allowed: list[str]) -> Unsupported:
    return Unsupported(
        f"{method} is not supported here; allowed: {', '.join(allowed)}", {"allowed": allowed}
    )


class RegistryEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._npm = registry.npm

    async def __call__(
        self, request: Request, target: Target, principal: Principal | None
    ) -> Response:
        rest = list(target.rest)
        method = request.method
        match rest:
            case ["whoami"]:
                return json_response({"username": self._npm.logins.whoami(principal)})
            case ["ping"]:
                await self._npm.reading.repository(principal, target.repository)
                return json_response({})
            case ["user", user] if user.startswith(USER):
                if method != "PUT":
                    raise _unsupported(method, ["PUT"])
                return await self._login(request, user.removeprefix(USER))
            case ["package", *named] if named:
                return await self._dist_tags(request, target, principal, named)
            case ["v1", "search"]:
                return await self._search(request, target, principal)
            case ["npm", "v1", "security", "advisories", "bulk"]:
                if method != "POST":
                    raise _unsupported(method, ["POST"])
                wanted = _versions(await audit_body(request))
                found = await self._npm.audit.bulk(principal, target.repository, wanted)
                return json_response(found)
        raise NotFound(
            f"/-/{'/'.join(rest)[:200]} is not an endpoint of cargohold's npm registry API"
        )

    async def _search(
        self, request: Request, target: Target, principal: Principal | None
    ) -> Response:
        query = request.query_params
        size = bounded_int(query.get("size"), 10_000)
        start = bounded_int(query.get("from"), 1_000_000)
        found, total = await self._npm.search.search(
            principal,
            target.repository,
            query.get("text", ""),
            20 if size is None else size,
            start or 0,
        )
        objects = []
        for one in found:
            manifest = one.manifest
            name = one.version.name
            objects.append(
                {
                    "package": {
                        "name": name,
                        "scope": name[1:].partition("/")[0] if name.startswith("@") else "unscoped",
                        "version": one.version.version,
                        "description": manifest.get("description", ""),
                        "keywords": manifest.get("keywords", []),
                        "date": rfc3339(one.version.created_at, "milliseconds"),
                        "links": {},
                        "publisher": {"username": one.version.created_by},
                        "maintainers": [{"username": one.version.created_by}],
                    },
                    "score": {
                        "final": 1.0,
                        "detail": {"quality": 1.0, "popularity": 1.0, "maintenance": 1.0},
                    },
                    "searchScore": 1.0,
                }
            )
        return json_response(
            {"objects": objects, "total": total, "time": rfc3339(time.time(), "milliseconds")}
        )

    async def _login(self, request: Request, user: str) -> Response:
        body = await json_object(request)
        client = client_address(request)
        token = await self._npm.logins.login(client, user, body.get("name"), body.get("password"))
        return json_response({"ok": True, "id": f"{USER}{user}", "token": token}, 201)

    async def _dist_tags(
        self, request: Request, target: Target, principal: Principal | None, named: list[str]
    ) -> Response:
        name, rest = take_name(named)
        method = request.method
        actor = Actor(principal, client_address(request))
        key = target.repository
        match rest:
            case ["dist-tags"]:
                if method != "GET":
                    raise _unsupported(method, ["GET"])
                found = await self._npm.reading.packument(principal, key, name)
                return json_response(dict(found.tags))
            case ["dist-tags", tag]:
                if method in ("PUT", "POST"):
                    version = await json_body(request)
                    if not isinstance(version, str):
                        raise BadRequest('the body is the version as a JSON string: "1.2.3"')
                    await self._npm.changes.set_tag(actor, key, name, tag, version)
                    return json_response({"ok": True}, 201)
                if method == "DELETE":
                    await self._npm.changes.remove_tag(actor, key, name, tag)
                    return json_response({"ok": True})
                raise _unsupported(method, ["PUT", "DELETE"])
        raise NotFound(f"nothing at this path of package {readable_name(name)}")


def _versions(body: dict[str, object]) -> dict[str, list[str]]:
    wanted: dict[str, list[str]] = {}
    for name, versions in body.items():
        if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
            raise BadRequest("an audit's body is {name: [versions]}")
        wanted[name] = [str(v) for v in versions]
    return wanted


__all__ = ["RegistryEndpoints"]
