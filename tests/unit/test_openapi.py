"""The OpenAPI document of /api/v1 is valid and covers the whole REST contract."""

from __future__ import annotations

import importlib.metadata
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from cargohold.api.rest.generic import generic_file_wire
from cargohold.api.rest.insight import (
    component_wire,
    impact_wire,
    location_wire,
    scan_wire,
    vulnerability_wire,
)
from cargohold.api.rest.jobs import job_wire
from cargohold.api.rest.openapi import document
from cargohold.api.rest.repositories import repository_wire
from cargohold.api.rest.views import (
    audit_wire,
    group_wire,
    permission_wire,
    token_wire,
    user_wire,
)
from cargohold.api.rest.webhooks import delivery_wire, webhook_wire
from cargohold.records.events import DeliveryRecord, EventRecord, WebhookRecord
from cargohold.records.generic import GenericFileRecord
from cargohold.records.identity import (
    AuditRecord,
    GroupRecord,
    PermissionRecord,
    ScopeRecord,
    TokenRecord,
    UserRecord,
)
from cargohold.records.insight import ComponentRow, FindingRecord, Location, ScanRecord
from cargohold.records.jobs import JobRecord
from cargohold.records.packages import PackageSettings
from cargohold.records.repositories import Remote, RepositoryRecord, Virtual
from cargohold.registry.events.webhooks import cloudevent
from cargohold.registry.insight.reports import Impact, Vulnerability

# Every endpoint of the REST API, relative to /api/v1, with the methods it answers.
CONTRACT: dict[str, set[str]] = {
    "/health": {"get"},
    "/openapi.json": {"get"},
    "/me": {"get"},
    "/system/token-keys/rotate": {"post"},
    "/repositories": {"get", "post"},
    "/repositories/{key}": {"get", "patch", "delete"},
    "/users": {"get", "post"},
    "/users/{name}": {"get", "patch", "delete"},
    "/groups": {"get", "post"},
    "/groups/{name}": {"get", "patch", "delete"},
    "/permissions": {"get", "post"},
    "/permissions/{id}": {"get", "delete"},
    "/tokens": {"get", "post"},
    "/tokens/{id}": {"get", "delete"},
    "/audit": {"get"},
    "/gc": {"post"},
    "/blobs/{digest}/references": {"get"},
    "/retention": {"get", "post"},
    "/retention/{policy}": {"get", "delete"},
    "/retention/run": {"post"},
    "/storage": {"get"},
    "/docker/{key}/promote": {"post"},
    "/docker/{key}/images/{name}/tags/{tag}": {"delete"},
    "/docker/{key}/images/{name}/manifests/{digest}": {"delete"},
    "/promotions": {"get"},
    "/properties": {"get", "put", "delete"},
    "/generic/{key}/promote": {"post"},
    "/generic/{key}/files": {"get"},
    "/packages/{key}": {"get"},
    "/packages/{key}/promote": {"post"},
    "/packages/{key}/{name}/versions": {"get"},
    "/packages/{key}/{name}/{version}/yank": {"post", "delete"},
    "/packages/{key}/{name}/{version}": {"delete"},
    "/repositories/{key}/signing-keys": {"get", "post"},
    "/jobs": {"get"},
    "/jobs/{id}": {"get"},
    "/webhooks": {"get", "post"},
    "/webhooks/{id}": {"get", "patch", "delete"},
    "/webhooks/{id}/deliveries": {"get"},
    "/search": {"get"},
    "/builds": {"get", "put"},
    "/builds/{name}/{number}": {"get"},
    "/builds/{name}/{number}/promote": {"post"},
    "/vulndb": {"get"},
    "/vulndb/import": {"post"},
    "/vulndb/advisories/{id}": {"get"},
    "/scan": {"get", "post"},
    "/sbom/attach": {"post"},
    "/artifacts/{digest}/scan": {"get"},
    "/artifacts/{digest}/sbom": {"get"},
    "/artifacts/{digest}/components": {"get"},
    "/artifacts/{digest}/vulnerabilities": {"get"},
    "/affected": {"get"},
    "/impact": {"get"},
    "/policies": {"get", "post"},
    "/policies/{name}": {"get", "patch", "delete"},
    "/watches": {"get", "post"},
    "/watches/{name}": {"get", "patch", "delete"},
    "/policies/exceptions": {"get", "post"},
    "/policies/exceptions/{id}": {"get", "delete"},
}
LISTS = [
    "/repositories",
    "/users",
    "/groups",
    "/permissions",
    "/tokens",
    "/audit",
    "/promotions",
    "/generic/{key}/files",
    "/packages/{key}",
    "/jobs",
    "/webhooks",
    "/webhooks/{id}/deliveries",
    "/search",
    "/builds",
    "/affected",
    "/policies",
    "/watches",
    "/policies/exceptions",
]
ANONYMOUS = {
    ("/health", "get"),
    ("/openapi.json", "get"),
    ("/repositories", "get"),
    ("/repositories/{key}", "get"),
    ("/properties", "get"),
    ("/generic/{key}/files", "get"),
    ("/packages/{key}", "get"),
    ("/packages/{key}/{name}/versions", "get"),
    ("/search", "get"),
    ("/builds", "get"),
    ("/builds/{name}/{number}", "get"),
    ("/scan", "get"),
    ("/scan", "post"),
    ("/artifacts/{digest}/scan", "get"),
    ("/artifacts/{digest}/sbom", "get"),
    ("/artifacts/{digest}/components", "get"),
    ("/artifacts/{digest}/vulnerabilities", "get"),
    ("/affected", "get"),
    ("/impact", "get"),
}
NOW = 1_795_000_000.0
TOKEN_ID = "0123456789abcdef"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/...``) to what it names."""
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def misfits(instance: Any, schema: str) -> list[str]:
    """Why ``instance`` does not fit ``components/schemas/<schema>`` (empty: it fits)."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": document()["components"]}
    validator = OAS31Validator(root, format_checker=oas31_format_checker)
    return [error.message for error in validator.iter_errors(instance)]


def conform(instance: Any, schema: str) -> None:
    assert misfits(instance, schema) == []


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_is_a_valid_openapi_3_1_document() -> None:
    validate(document(), cls=OpenAPIV31SpecValidator)
    assert document()["openapi"].startswith("3.1")
    assert document()["info"]["version"] == importlib.metadata.version("cargohold")
    assert json.loads(json.dumps(document())) == document()


def test_every_path_of_the_contract_with_its_methods() -> None:
    found = {path: {m for m in item if m in METHODS} for path, item in document()["paths"].items()}
    assert found == CONTRACT
    assert document()["servers"] == [{"url": "/api/v1"}]


def test_operation_ids_are_present_and_unique() -> None:
    ids = [operation.get("operationId") for _, _, operation in operations()]
    assert all(ids)
    assert [name for name, count in Counter(ids).items() if count > 1] == []
    assert {"listUsers", "createUser", "rotateTokenKey", "listAuditEvents"} <= set(ids)


@pytest.mark.parametrize("path", LISTS)
def test_lists_page_with_limit_after_and_next(path: str) -> None:
    operation = document()["paths"][path]["get"]
    parameters = {p["name"]: p for p in map(resolve, operation["parameters"])}
    assert parameters["limit"]["in"] == "query"
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 100,
    }
    assert parameters["after"]["in"] == "query"
    ok = operation["responses"]["200"]
    body = ok["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"items", "next"}
    assert body["properties"]["items"]["type"] == "array"
    assert resolve(body["properties"]["next"])["oneOf"][1] == {"type": "null"}
    assert "Link" in ok["headers"]


def test_only_the_contracts_anonymous_endpoints_allow_anonymous_callers() -> None:
    default: list[dict[str, list[str]]] = document()["security"]
    assert default == [{"basic": []}, {"bearer": []}, {}]
    open_ = {
        (path, method)
        for path, method, operation in operations()
        if {} in operation.get("security", default)
    }
    assert open_ == ANONYMOUS


def test_errors_are_problem_json_with_their_headers() -> None:
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            content = resolve(response).get("content", {})
            if status == "414":  # answered by the HTTP server, before any protocol sees it
                assert list(content) == ["text/plain"], (path, method)
            elif status.startswith(("4", "5")):
                assert list(content) == ["application/problem+json"], (path, method, status)
        if (path, method) not in {("/health", "get"), ("/openapi.json", "get")}:
            assert "401" in operation["responses"], (path, method)
        if "requestBody" in operation:
            assert "400" in operation["responses"], (path, method)
    responses = document()["components"]["responses"]
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    problem = document()["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code"}


def test_schemas_follow_the_contract() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["Action"]["enum"] == ["read", "write", "delete", "promote", "annotate", "manage"]
    token = schemas["Token"]["properties"]
    assert token["kind"]["enum"] == ["api", "cli", "refresh"]
    assert "token" not in token
    assert "token" in schemas["NewToken"]["required"]
    result = schemas["AuditEvent"]["properties"]["result"]["enum"]
    assert set(result) == {"ok", "unauthorized", "denied", "not-found", "throttled", "failed"}
    assert schemas["UserCreate"]["required"] == ["name"]
    assert schemas["UserCreate"]["else"] == {"required": ["password"]}
    assert "password" not in schemas["User"]["properties"]
    assert "password" not in schemas["Repository"]["properties"]
    assert schemas["RepositoryCreate"]["properties"]["password"]["writeOnly"] is True
    created = document()["paths"]["/repositories"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]
    for name in ("User", "Group", "Permission", "Token"):
        assert schemas[name]["properties"]["created"]["format"] == "date-time"


def test_describes_the_registry_token_service() -> None:
    description = document()["info"]["description"]
    for words in ("/v2/token", "refresh_token", "token_ttl", "300", "next request"):
        assert words in description


def test_what_the_server_renders_fits_the_schemas() -> None:
    """The document describes the JSON the REST views really produce."""
    scopes = (ScopeRecord("dev", ("read", "write")),)
    token = TokenRecord(TOKEN_ID, "ci", "api", "CI", "hash", scopes, NOW, NOW + 3600)
    user = user_wire(UserRecord("alice", "hash", True, False, None, NOW), ("devs",)).to_json()
    repository = repository_wire(RepositoryRecord("dev", "docker", "local", False))
    conform(repository.to_json(), "Repository")
    hub = RepositoryRecord(
        "hub", "docker", "remote", False, remote=Remote("https://r.example.com", "u", "p")
    )
    shown_hub = repository_wire(hub).to_json()
    conform(shown_hub, "Repository")
    assert shown_hub["hasPassword"] is True
    assert "p" not in shown_hub.values()
    both = RepositoryRecord("all", "docker", "virtual", False, virtual=Virtual(("dev", "hub")))
    conform(repository_wire(both).to_json(), "Repository")
    release = RepositoryRecord("py", "pypi", "local", False, packages=PackageSettings(True, False))
    shown_release = repository_wire(release).to_json()
    conform(shown_release, "Repository")
    assert (shown_release["allowOverwrite"], shown_release["allowUnpublish"]) == (True, False)
    guarded = RepositoryRecord("all-py", "pypi", "virtual", False, virtual=Virtual(("py",)))
    conform(repository_wire(guarded).to_json(), "Repository")
    conform(user, "User")
    conform(user_wire(UserRecord("ci", None, False, True, "ci@example.com", NOW)).to_json(), "User")
    conform(user | {"token": None}, "Me")
    conform(user | {"token": {"id": TOKEN_ID, "scopes": None}}, "Me")
    conform(group_wire(GroupRecord("devs", "", ("alice",), NOW)).to_json(), "Group")
    permission = PermissionRecord(TOKEN_ID, "group:devs", ("dev", "team-*"), ("read",), NOW)
    conform(permission_wire(permission).to_json(), "Permission")
    shown = token_wire(token).to_json()
    conform(shown, "Token")
    refresh = TokenRecord("f" * 16, "bob", "refresh", "", "h", None, NOW, None)
    conform(token_wire(refresh).to_json(), "Token")
    conform(shown | {"token": f"chk_{TOKEN_ID}_secret"}, "NewToken")
    event = AuditRecord(
        NOW, "alice", None, "login.failed", "/v2/", None, 401, "unauthorized", "::1"
    )
    conform(audit_wire(event).to_json(), "AuditEvent")
    assert misfits(shown, "NewToken") == ["'token' is a required property"]
    assert misfits(audit_wire(event).to_json() | {"result": "maybe"}, "AuditEvent") != []


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        ({"key": "team-app", "anonymousRead": True}, "RepositoryCreate"),
        ({"anonymousRead": True}, "RepositoryUpdate"),
        (
            {
                "key": "hub",
                "format": "docker",
                "kind": "remote",
                "upstream": "https://registry-1.docker.io",
                "username": "u",
                "password": "p",
                "verifyTls": True,
                "revalidateSeconds": 300,
                "timeoutSeconds": 30,
                "offline": False,
            },
            "RepositoryCreate",
        ),
        (
            {
                "key": "all",
                "kind": "virtual",
                "members": ["dev", "hub"],
                "defaultDeployRepo": "dev",
            },
            "RepositoryCreate",
        ),
        ({"offline": True, "password": None, "members": ["dev"]}, "RepositoryUpdate"),
        ({"key": "py", "format": "pypi", "allowOverwrite": True}, "RepositoryCreate"),
        (
            {"key": "py", "format": "pypi", "kind": "virtual", "members": ["a"]}
            | {"trustRemoteNames": True},
            "RepositoryCreate",
        ),
        ({"allowUnpublish": False, "trustRemoteNames": True}, "RepositoryUpdate"),
        ({"name": "reader", "password": "s3cret-pass"}, "UserCreate"),
        ({"name": "ci", "service": True}, "UserCreate"),
        ({"password": "n3w-password", "email": "a@example.com"}, "UserUpdate"),
        ({"name": "devs", "members": ["alice"]}, "GroupCreate"),
        ({"add": ["bob"], "remove": ["alice"]}, "GroupUpdate"),
        (
            {"principal": "user:reader", "repositories": ["dev", "team-*"], "actions": ["read"]},
            "PermissionCreate",
        ),
        (
            {
                "description": "CI",
                "scopes": [{"repository": "dev", "actions": ["read"]}],
                "expires_in": 3600,
                "owner": "ci",
                "kind": "cli",
            },
            "TokenCreate",
        ),
    ],
)
def test_the_contracts_request_bodies_are_accepted(body: dict[str, Any], schema: str) -> None:
    conform(body, schema)


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        ({"name": "reader"}, "UserCreate"),  # a person needs a password
        ({"name": "ci", "service": True, "password": "s3cret-pass"}, "UserCreate"),
        ({"name": "reader", "password": "short"}, "UserCreate"),
        ({"key": "dev", "anonymous_read": True}, "RepositoryCreate"),  # unknown field
        ({"key": "x", "upstream": "https://r.example.com"}, "RepositoryCreate"),  # local
        ({"key": "x", "kind": "remote"}, "RepositoryCreate"),  # no upstream
        ({"key": "x", "kind": "virtual", "members": []}, "RepositoryCreate"),
        (
            {"key": "x", "kind": "remote", "upstream": "https://r", "members": ["dev"]},
            "RepositoryCreate",
        ),
        ({"key": "x", "kind": "mirror"}, "RepositoryCreate"),
        ({"key": "x", "trustRemoteNames": True}, "RepositoryCreate"),  # local
        (
            {"key": "x", "kind": "remote", "upstream": "https://r", "allowOverwrite": True},
            "RepositoryCreate",
        ),
        ({"revalidateSeconds": -1}, "RepositoryUpdate"),
        ({"principal": "reader", "repositories": ["dev"], "actions": ["read"]}, "PermissionCreate"),
        ({"principal": "user:r", "repositories": ["dev"], "actions": ["pull"]}, "PermissionCreate"),
        ({"description": "x", "kind": "refresh"}, "TokenCreate"),
    ],
)
def test_bodies_the_server_refuses_do_not_validate(body: dict[str, Any], schema: str) -> None:
    assert misfits(body, schema) != []


def test_generic_files_and_their_promotion_fit_the_schemas() -> None:
    record = GenericFileRecord(
        "files", "web/1.4/app.tgz", "sha256:" + "a" * 64, 3, "b" * 40, "c" * 32, NOW, NOW, "ci"
    )
    conform(generic_file_wire(record).to_json(), "GenericFile")
    conform(
        {
            "targetRepo": "files-prod",
            "path": "/web/1.4/",
            "targetPath": "web/latest",
            "copy": True,
            "dryRun": False,
            "properties": {"qa.status": "passed"},
            "comment": "QA signed off",
        },
        "GenericPromotion",
    )
    assert misfits({"targetRepo": "files-prod"}, "GenericPromotion") != []
    assert misfits({"targetRepo": "x", "path": "a", "tag": "1"}, "GenericPromotion") != []


def test_jobs_webhooks_and_their_deliveries_fit_the_schemas() -> None:
    job = JobRecord(
        "0" * 32,
        "webhook.deliver",
        {"webhook": "w"},
        "webhook:w:a",
        "running",
        1,
        12,
        NOW,
        "host:1:ab",
        NOW + 15,
        None,
        None,
        NOW,
        None,
    )
    conform(job_wire(job).to_json(), "Job")
    conform(job_wire(job).to_json() | {"state": "done", "result": {"delivered": 1}}, "Job")
    assert misfits(job_wire(job).to_json() | {"state": "sleeping"}, "Job") != []
    hook = WebhookRecord(
        "ab" * 8,
        "ci",
        "https://ci.example.com/hook",
        "s" * 16,
        ("dev", "team-*"),
        ("push",),
        True,
        NOW,
        "admin",
    )
    conform(webhook_wire(hook).to_json(), "Webhook")
    assert "secret" not in document()["components"]["schemas"]["Webhook"]["properties"]
    event = EventRecord(
        3,
        "6f1c0b8e-59a4-4a53-9d0c-2f4c8a1e9b10",
        "dev.cargohold.push",
        "/repositories/dev",
        "team/app",
        "dev",
        NOW,
        {"digest": "sha256:ab", "tag": "1.0"},
    )
    delivery = DeliveryRecord(
        "cd" * 16, hook.id, event, "pending", 2, 500, "answered 500", NOW, None
    )
    conform(delivery_wire(delivery).to_json(), "WebhookDelivery")
    conform(cloudevent(event), "CloudEvent")
    conform(
        {"name": "ci", "url": "https://ci.example.com/hook", "secret": "s" * 16}, "WebhookCreate"
    )
    conform({"enabled": False, "events": ["delete"]}, "WebhookUpdate")
    assert misfits({"name": "ci", "url": "https://x/", "secret": "short"}, "WebhookCreate") != []
    assert misfits({"enabled": True, "events": ["pull"]}, "WebhookUpdate") != []
    received = document()["webhooks"]["event"]["post"]
    assert set(received["requestBody"]["content"]) == {"application/cloudevents+json"}


def test_what_insight_renders_fits_the_schemas() -> None:
    digest = "sha256:" + "a" * 64
    scan = ScanRecord(digest, "image", "dev/team/app", "incomplete", ("depth",), "k", NOW, NOW, NOW)
    conform(scan_wire(scan).to_json(), "Scan")
    conform(scan_wire(scan).to_json() | {"queued": True}, "QueuedScan")
    row = ComponentRow(
        0,
        "zlib1g",
        "1:1.2.13",
        "Debian",
        "pkg:deb/debian/zlib1g@1:1.2.13",
        "pkg:deb/debian/zlib1g",
        "dpkg",
        f"{digest}!/var/lib/dpkg/status",
        ("Zlib",),
        "zlib",
        None,
        True,
    )
    conform({"items": [component_wire(row).to_json()]}, "Components")
    named = replace(row, cataloger="java", identity="sha1-table")
    assert component_wire(named).to_json()["identity"] == "sha1-table"
    conform({"items": [component_wire(named).to_json()]}, "Components")
    described = document()["components"]["schemas"]["Component"]
    assert set(component_wire(named).to_json()) == set(described["properties"])
    assert "identity" not in described["required"]
    assert "identity" not in component_wire(row).to_json()  # unknown: left out
    finding = FindingRecord(digest, "DSA-1", 0, "HIGH", ("1:1.2.13-2",), NOW)
    item = vulnerability_wire(Vulnerability(finding, row, ("CVE-1",), "zlib bug")).to_json()
    conform(
        {"digest": digest, "status": "done", "reasons": [], "findings": [item]}, "Vulnerabilities"
    )
    where = Location("image", "dev", "team/app", digest, ("1.0",))
    conform(impact_wire(Impact(digest, row, "DSA-1", (where,))).to_json(), "ImpactItem")
    conform(
        {
            "digest": digest,
            "advisory": "DSA-1",
            "severity": "HIGH",
            "found": "2026-11-26T10:00:00Z",
            "locations": [location_wire(where).to_json()],
        },
        "Affected",
    )
