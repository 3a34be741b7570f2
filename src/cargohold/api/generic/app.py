"""The ``/generic`` ASGI app: the target of a request, who is calling, the audit record of
every refusal, and the one place its errors are rendered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address, principal_of
from cargohold.api.generic.errors import error_response, unexpected_response
from cargohold.api.generic.files import FileEndpoints
from cargohold.api.generic.target import Target, parse_target
from cargohold.api.matrix import raw_path
from cargohold.core.errors import PolicyViolation, RegistryError, Unsupported
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.policy.policies import BLOCKED_DOWNLOAD
from cargohold.registry.registry import Registry

Handler = Callable[[Request, Target, Principal | None], Awaitable[Response]]
# What the audit log calls a write, when it is refused; one that succeeds is recorded by its
# use case, with the change.
REFUSALS = {"PUT": "file.deploy", "DELETE": "file.delete"}


class GenericApp:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        files = FileEndpoints(registry)
        self._methods: dict[str, Handler] = {
            "GET": files.get,
            "HEAD": files.head,
            "PUT": files.put,
            "DELETE": files.delete,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        method = request.method
        principal = None
        target: Target | None = None
        blocked = False
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise Unsupported(
                    f"{method} is not supported on generic files; allowed: "
                    + ", ".join(self._methods),
                    {"allowed": list(self._methods)},
                )
            target = parse_target(raw_path(scope))
            principal = await principal_of(request, self._registry.access)
            response = await handler(request, target, principal)
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


def build(registry: Registry) -> GenericApp:
    return GenericApp(registry)


__all__ = ["GenericApp", "build"]
