"""``/api/v1``: routing, authentication, the audit record of every refused write, and the one
place REST errors are rendered (RFC 9457 problem JSON).

A write that succeeds is recorded by its use case, in the transaction of the change; a refused
one changes nothing, and is recorded here with the status it got (a malformed body or bad
credentials are refused before any use case runs)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from cargohold.api.credentials import client_address, principal_of
from cargohold.api.rest.audit import AuditEndpoints
from cargohold.api.rest.builds import BuildEndpoints
from cargohold.api.rest.gc import GcEndpoints
from cargohold.api.rest.generic import GenericEndpoints
from cargohold.api.rest.groups import GroupEndpoints, PermissionEndpoints
from cargohold.api.rest.images import ImageEndpoints
from cargohold.api.rest.insight import InsightEndpoints
from cargohold.api.rest.jobs import JobEndpoints
from cargohold.api.rest.openapi import document
from cargohold.api.rest.packages import PackageEndpoints
from cargohold.api.rest.policies import PolicyEndpoints
from cargohold.api.rest.problems import problem, unexpected_problem
from cargohold.api.rest.promotions import PromotionEndpoints
from cargohold.api.rest.properties import PropertyEndpoints
from cargohold.api.rest.repositories import RepositoryEndpoints
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.retention import RetentionEndpoints
from cargohold.api.rest.search import SearchEndpoints
from cargohold.api.rest.signing import SigningKeyEndpoints
from cargohold.api.rest.storage import StorageEndpoints
from cargohold.api.rest.tokens import TokenEndpoints
from cargohold.api.rest.users import UserEndpoints
from cargohold.api.rest.vulndb import VulnDbEndpoints
from cargohold.api.rest.webhooks import WebhookEndpoints
from cargohold.core.errors import NotFound, RegistryError, Unsupported
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.system import Health

Endpoint = Callable[[Request, Principal | None], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

log = logging.getLogger("cargohold.api.rest")


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: its endpoint, and what the audit log calls it when refused (None: a
    read, not recorded)."""

    endpoint: Endpoint
    audit: str | None = None
    public: bool = False  # answered without looking at credentials


class RestApp:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        repositories = RepositoryEndpoints(registry)
        users = UserEndpoints(registry)
        groups = GroupEndpoints(registry)
        permissions = PermissionEndpoints(registry)
        tokens = TokenEndpoints(registry)
        audit = AuditEndpoints(registry)
        jobs = JobEndpoints(registry)
        webhooks = WebhookEndpoints(registry)
        builds = BuildEndpoints(registry)
        search = SearchEndpoints(registry)
        promotions = PromotionEndpoints(registry)
        properties = PropertyEndpoints(registry)
        generic = GenericEndpoints(registry)
        packages = PackageEndpoints(registry)
        signing = SigningKeyEndpoints(registry)
        vulndb = VulnDbEndpoints(registry)
        insight = InsightEndpoints(registry)
        policies = PolicyEndpoints(registry)
        gc = GcEndpoints(registry)
        retention = RetentionEndpoints(registry)
        images = ImageEndpoints(registry)
        self._router = Router(
            routes=[
                self._route("/health", GET=Op(self.health, public=True)),
                self._route("/openapi.json", GET=Op(self.openapi, public=True)),
                self._route("/me", GET=Op(users.me)),
                self._route(
                    "/system/token-keys/rotate",
                    POST=Op(tokens.rotate_key, "token-key.rotate"),
                ),
                self._route(
                    "/repositories",
                    GET=Op(repositories.list),
                    POST=Op(repositories.create, "repository.create"),
                ),
                self._route(
                    "/repositories/{key}",
                    GET=Op(repositories.get),
                    PATCH=Op(repositories.update, "repository.update"),
                    DELETE=Op(repositories.delete, "repository.delete"),
                ),
                self._route(
                    "/repositories/{key}/signing-keys",
                    GET=Op(signing.list),
                    POST=Op(signing.rotate, "signing-key.rotate"),
                ),
                self._route(
                    "/users",
                    GET=Op(users.list),
                    POST=Op(users.create, "user.create"),
                ),
                self._route(
                    "/users/{name}",
                    GET=Op(users.get),
                    PATCH=Op(users.update, "user.update"),
                    DELETE=Op(users.delete, "user.delete"),
                ),
                self._route(
                    "/groups",
                    GET=Op(groups.list),
                    POST=Op(groups.create, "group.create"),
                ),
                self._route(
                    "/groups/{name}",
                    GET=Op(groups.get),
                    PATCH=Op(groups.update, "group.update"),
                    DELETE=Op(groups.delete, "group.delete"),
                ),
                self._route(
                    "/permissions",
                    GET=Op(permissions.list),
                    POST=Op(permissions.create, "permission.create"),
                ),
                self._route(
                    "/permissions/{id}",
                    GET=Op(permissions.get),
                    DELETE=Op(permissions.delete, "permission.delete"),
                ),
                self._route(
                    "/tokens",
                    GET=Op(tokens.list),
                    POST=Op(tokens.create, "token.create"),
                ),
                self._route(
                    "/tokens/{id}",
                    GET=Op(tokens.get),
                    DELETE=Op(tokens.delete, "token.delete"),
                ),
                self._route("/audit", GET=Op(audit.list)),
                self._route("/storage", GET=Op(StorageEndpoints(registry).report)),
                self._route("/jobs", GET=Op(jobs.list)),
                self._route("/jobs/{id}", GET=Op(jobs.get)),
                self._route("/gc", POST=Op(gc.run, "gc.run")),
                self._route("/blobs/{digest}/references", GET=Op(gc.references)),
                self._route(
                    "/webhooks",
                    GET=Op(webhooks.list),
                    POST=Op(webhooks.create, "webhook.create"),
                ),
                self._route(
                    "/webhooks/{id}",
                    GET=Op(webhooks.get),
                    PATCH=Op(webhooks.update, "webhook.update"),
                    DELETE=Op(webhooks.delete, "webhook.delete"),
                ),
                self._route("/webhooks/{id}/deliveries", GET=Op(webhooks.deliveries)),
                self._route(
                    "/docker/{key}/promote",
                    POST=Op(promotions.docker, "docker.promote"),
                ),
                self._route(
                    "/docker/{key}/images/{name:path}/tags/{tag}",
                    DELETE=Op(images.delete_tag, "manifest.delete"),
                ),
                self._route(
                    "/docker/{key}/images/{name:path}/manifests/{digest}",
                    DELETE=Op(images.delete_manifest, "manifest.delete"),
                ),
                self._route("/promotions", GET=Op(promotions.list)),
                self._route("/search", GET=Op(search.find)),
                self._route(
                    "/builds",
                    GET=Op(builds.list),
                    PUT=Op(builds.put, "build.record"),
                ),
                self._route("/builds/{name}/{number}", GET=Op(builds.get)),
                self._route(
                    "/builds/{name}/{number}/promote",
                    POST=Op(builds.promote, "build.promote"),
                ),
                self._route(
                    "/generic/{key}/promote",
                    POST=Op(generic.promote, "generic.promote"),
                ),
                self._route("/generic/{key}/files", GET=Op(generic.files)),
                self._route("/packages/{key}", GET=Op(packages.list)),
                self._route(
                    "/packages/{key}/promote",
                    POST=Op(packages.promote, "package.promote"),
                ),
                self._route("/packages/{key}/{name:path}/versions", GET=Op(packages.versions)),
                self._route(
                    "/packages/{key}/{name:path}/{version}/yank",
                    POST=Op(packages.yank, "package.yank"),
                    DELETE=Op(packages.yank, "package.yank"),
                ),
                self._route(
                    "/packages/{key}/{name:path}/{version}",
                    DELETE=Op(packages.delete, "package.delete"),
                ),
                self._route("/vulndb", GET=Op(vulndb.stats)),
                self._route("/vulndb/import", POST=Op(vulndb.import_, "vulndb.import")),
                self._route("/vulndb/advisories/{id}", GET=Op(vulndb.get)),
                self._route(
                    "/scan",
                    GET=Op(insight.find_scan),
                    POST=Op(insight.request_scan, "scan.request"),
                ),
                self._route("/artifacts/{digest}/scan", GET=Op(insight.scan)),
                self._route("/sbom/attach", POST=Op(insight.attach_sbom, "sbom.attach")),
                self._route("/artifacts/{digest}/sbom", GET=Op(insight.sbom)),
                self._route("/artifacts/{digest}/components", GET=Op(insight.components)),
                self._route("/artifacts/{digest}/vulnerabilities", GET=Op(insight.vulnerabilities)),
                self._route("/affected", GET=Op(insight.affected)),
                self._route("/impact", GET=Op(insight.impact)),
                # /policies/exceptions before /policies/{name}, which would take it
                self._route(
                    "/policies/exceptions",
                    GET=Op(policies.list_exceptions),
                    POST=Op(policies.grant_exception, "policy-exception.grant"),
                ),
                self._route(
                    "/policies/exceptions/{id}",
                    GET=Op(policies.get_exception),
                    DELETE=Op(policies.revoke_exception, "policy-exception.revoke"),
                ),
                self._route(
                    "/policies",
                    GET=Op(policies.list_policies),
                    POST=Op(policies.create_policy, "policy.create"),
                ),
                self._route(
                    "/policies/{name}",
                    GET=Op(policies.get_policy),
                    PATCH=Op(policies.update_policy, "policy.update"),
                    DELETE=Op(policies.delete_policy, "policy.delete"),
                ),
                self._route(
                    "/watches",
                    GET=Op(policies.list_watches),
                    POST=Op(policies.create_watch, "watch.create"),
                ),
                self._route(
                    "/watches/{name}",
                    GET=Op(policies.get_watch),
                    PATCH=Op(policies.update_watch, "watch.update"),
                    DELETE=Op(policies.delete_watch, "watch.delete"),
                ),
                # /retention/run before /retention/{policy}, which would take it
                self._route("/retention/run", POST=Op(retention.run, "retention.run")),
                self._route(
                    "/retention",
                    GET=Op(retention.list),
                    POST=Op(retention.create, "retention.create"),
                ),
                self._route(
                    "/retention/{policy}",
                    GET=Op(retention.get),
                    DELETE=Op(retention.delete, "retention.delete"),
                ),
                self._route(
                    "/properties",
                    GET=Op(properties.get),
                    PUT=Op(properties.put, "property.set"),
                    DELETE=Op(properties.delete, "property.delete"),
                ),
            ],
            default=self._not_found,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._router(scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(NotFound(f"no such endpoint: {scope['path'][:200]}"), scope["path"])
        await response(scope, receive, send)

    def _route(self, path: str, **ops: Op) -> Route:
        """One route per path that dispatches on the method, renders every error and records
        every refused write in the audit log."""

        allowed = ", ".join(ops)

        async def dispatch(request: Request) -> Response:
            op = ops.get(request.method)
            caller = None
            try:
                if op is None:
                    raise Unsupported(f"{request.method} is not allowed here; allowed: {allowed}")
                if not op.public:
                    caller = await principal_of(request, self._registry.access)
                response = await op.endpoint(request, caller)
            except ClientDisconnect:
                return Response(b"", 400)
            except RegistryError as exc:
                response = problem(exc, request.url.path)
                if op is None:
                    response.headers["Allow"] = allowed
            except Exception:
                response = unexpected_problem(request.method, request.url.path)
            if op is not None and op.audit is not None and response.status_code >= 400:
                await self._refused(request, caller, op.audit, response)
            # Users, tokens, audit records: nothing the API answers is for a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return Route(path, dispatch, methods=ALL_METHODS)

    async def _refused(
        self, request: Request, caller: Principal | None, action: str, response: Response
    ) -> None:
        target = request.url.path.removeprefix("/api/v1/")
        key = request.path_params.get("key") if action.startswith("repository.") else None
        await self._registry.audit.record(
            caller,
            action,
            target,
            status=response.status_code,
            client=client_address(request),
            repository=key,
        )

    async def health(self, request: Request, caller: Principal | None) -> Response:
        return WireResponse(Health("ok"))

    async def openapi(self, request: Request, caller: Principal | None) -> Response:
        return WireResponse(document())


def build(registry: Registry) -> RestApp:
    return RestApp(registry)


__all__ = ["RestApp", "build"]
