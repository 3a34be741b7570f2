"""The ``/npm`` ASGI app: the target of a request, who is calling, the audit record of every
refused write and blocked download, and the one place its errors are rendered."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address, principal_of
from cargohold.api.matrix import raw_path
from cargohold.api.npm.endpoints import RegistryEndpoints
from cargohold.api.npm.errors import error_response, unexpected_response
from cargohold.api.npm.packages import PackageEndpoints
from cargohold.api.npm.target import Target, parse_target
from cargohold.core.errors import PolicyViolation, RegistryError, Unsupported
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.policy.policies import BLOCKED_DOWNLOAD
from cargohold.registry.registry import Registry

# What the audit log calls a write when it is refused; one that succeeds is recorded by its
# use case, with the change.
REFUSALS = {"PUT": "package.publish", "DELETE": "package.delete"}
ALLOWED = {
    "package": ("GET", "HEAD", "PUT"),
    "version": ("GET",),
    "tarball": ("GET", "HEAD"),
    "revision": ("PUT", "DELETE"),
    "tarball-revision": ("DELETE",),
}


class NpmApp:
    def __init__(self, registry: Registry, public_url: str | None = None) -> None:
        self._registry = registry
        self._packages = PackageEndpoints(registry, public_url)
        self._api = RegistryEndpoints(registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        method = request.method
        principal = None
        target: Target | None = None
        blocked = False
        try:
            target = parse_target(raw_path(scope))
            principal = await principal_of(request, self._registry.access)
            response = await self._handle(request, target, principal)
        except ClientDisconnect:
            response = Response(b"", 400)
        except RegistryError as exc:
            blocked = isinstance(exc, PolicyViolation)
            response = error_response(exc, method)
        except Exception:
            response = unexpected_response(method, scope.get("path", ""))
        action = BLOCKED_DOWNLOAD if blocked else REFUSALS.get(method)
        if action is not None and response.status_code >= 400:
            await self._registry.audit.record(
                principal,
                action,
                str(target) if target is not None else scope.get("path", "")[:1000],
                status=response.status_code,
                client=client_address(request),
                repository=target.repository if target is not None else None,
            )
        await response(scope, receive, send)

    async def _handle(
        self, request: Request, target: Target, principal: Principal | None
    ) -> Response:
        if target.kind == "api":
            return await self._api(request, target, principal)
        method = request.method
        allowed = ALLOWED[target.kind]
        if method not in allowed:
            raise Unsupported(
                f"{method} is not supported here; allowed: {', '.join(allowed)}",
                {"allowed": list(allowed)},
            )
        packages = self._packages
        match target.kind, method:
            case "package", "GET" | "HEAD":
                return await packages.packument(request, target, principal, head=method == "HEAD")
            case "tarball", "GET" | "HEAD":
                return await packages.tarball(request, target, principal, head=method == "HEAD")
            case "version", _:
                return await packages.version(request, target, principal)
            case _, "PUT":
                return await packages.put(request, target, principal)
        return await packages.delete(request, target, principal)


def build(registry: Registry, public_url: str | None = None) -> NpmApp:
    return NpmApp(registry, public_url)


__all__ = ["NpmApp", "build"]
