"""The REST API for repositories, and the CLI built on its client."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH

pytestmark = pytest.mark.anyio


async def test_defaults_exist(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/v1/repositories", headers=AUTH)).json()["items"]
    assert [r["key"] for r in listed] == ["dev", "prod", "staging"]
    assert all(r["format"] == "docker" for r in listed)
    # New instances start private; the tests' fixture opened dev to anonymous reads.
    assert [r["key"] for r in listed if r["anonymousRead"]] == ["dev"]
    anonymous = (await client.get("/api/v1/repositories")).json()["items"]
    assert [r["key"] for r in anonymous] == ["dev"]


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json", headers={"Authorization": "Basic !!"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
    assert "/tokens" in response.json()["paths"]


async def test_create_get_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/v1/repositories", json={"key": "team-a", "description": "team A images"}, headers=AUTH
    )
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/repositories/team-a"
    fetched = await client.get("/api/v1/repositories/team-a", headers=AUTH)
    assert fetched.json()["description"] == "team A images"
    pushed = await client.post("/v2/team-a/app/blobs/uploads/", headers=AUTH)
    assert pushed.status_code == 202
    assert (await client.delete("/api/v1/repositories/team-a", headers=AUTH)).status_code == 200
    gone = await client.get("/api/v1/repositories/team-a", headers=AUTH)
    assert gone.status_code == 404
    assert gone.headers["Content-Type"] == "application/problem+json"
    after = await client.post("/v2/team-a/app/blobs/uploads/", headers=AUTH)
    assert after.status_code == 404
    assert after.json()["errors"][0]["code"] == "NAME_UNKNOWN"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"key": "dev"}, 409, "REPOSITORY_EXISTS"),
        ({"key": "Bad Key"}, 400, "REPOSITORY_INVALID"),
        ({"key": "x", "format": "nuget"}, 400, "REPOSITORY_INVALID"),
        ({"key": "x", "kind": "virtual"}, 400, "REPOSITORY_INVALID"),
        ({"key": 5}, 400, "BAD_REQUEST"),
        ({"key": "x", "anonymousRead": "yes"}, 400, "BAD_REQUEST"),
        ([], 400, "BAD_REQUEST"),
    ],
)
async def test_invalid_creations(
    client: httpx.AsyncClient, body: object, status: int, code: str
) -> None:
    response = await client.post("/api/v1/repositories", json=body, headers=AUTH)
    assert response.status_code == status
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["detail"]


async def test_not_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/repositories", content=b"{nope", headers=AUTH)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


async def test_admin_only(client: httpx.AsyncClient) -> None:
    anonymous = await client.post("/api/v1/repositories", json={"key": "x"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    deleted = await client.delete("/api/v1/repositories/dev")
    assert deleted.status_code == 401


async def test_each_repository_change_is_recorded_once_and_a_refused_one_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "reader", "reader-password")
    await grant(client, "user:reader", ["staging"], ["read", "manage"])
    reader = basic("reader", "reader-password")
    calls = [
        ("POST", "/api/v1/repositories", {"key": "team-a"}, AUTH, 201),
        ("PATCH", "/api/v1/repositories/team-a", {"description": "team A"}, AUTH, 200),
        ("PATCH", "/api/v1/repositories/staging", {"anonymousRead": True}, reader, 200),
        ("PATCH", "/api/v1/repositories/staging", {}, reader, 200),  # no change, still recorded
        ("POST", "/api/v1/repositories", {"key": "team-b"}, reader, 403),
        ("PATCH", "/api/v1/repositories/prod", {"description": "x"}, reader, 403),
        ("DELETE", "/api/v1/repositories/team-a", None, reader, 403),
        ("DELETE", "/api/v1/repositories/team-a", None, AUTH, 200),
        ("DELETE", "/api/v1/repositories/team-a", None, AUTH, 404),
    ]
    for method, path, body, headers, status in calls:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, (method, path, response.text)
    assert (await client.get("/api/v1/repositories/team-b", headers=AUTH)).status_code == 404
    prod = await client.get("/api/v1/repositories/prod", headers=AUTH)
    assert prod.json()["description"] == ""

    audit = await client.get("/api/v1/audit", params={"limit": 100}, headers=AUTH)
    entries = [e for e in reversed(audit.json()["items"]) if e["action"].startswith("repository.")]
    assert [(e["action"], e["principal"], e["target"], e["status"]) for e in entries] == [
        ("repository.create", "admin", "repositories/team-a", 201),
        ("repository.update", "admin", "repositories/team-a", 200),
        ("repository.update", "reader", "repositories/staging", 200),
        ("repository.update", "reader", "repositories/staging", 200),
        ("repository.create", "reader", "repositories", 403),
        ("repository.update", "reader", "repositories/prod", 403),
        ("repository.delete", "reader", "repositories/team-a", 403),
        ("repository.delete", "admin", "repositories/team-a", 200),
        ("repository.delete", "admin", "repositories/team-a", 404),
    ]
    keyed = [e for e in entries if e["target"] != "repositories"]
    assert [e["repository"] for e in keyed] == [e["target"].split("/")[1] for e in keyed]
    assert {e["client"] for e in entries} == {"127.0.0.1"}


async def test_unknown_paths_and_methods(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    wrong = await client.put("/api/v1/repositories", headers=AUTH)
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "UNSUPPORTED"
    assert wrong.headers["Allow"] == "GET, POST"  # RFC 9110: a 405 says what is allowed
