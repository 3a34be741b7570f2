"""Users, groups, permissions and API tokens through the REST API, and what they allow."""

from __future__ import annotations

import httpx
import pytest

from cargohold.registry.registry import Registry
from tests.images import make_image, sha256
from tests.integration.accounts import basic, bearer, create_token, create_user, grant
from tests.integration.conftest import AUTH, Clock
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio

READER = basic("reader", "reader-password")


async def test_users_are_created_listed_changed_and_deleted(client: httpx.AsyncClient) -> None:
    created = await create_user(client, "reader", "reader-password", email="r@example.com")
    assert created["admin"] is False and created["service"] is False
    assert created["email"] == "r@example.com"
    for name in ("user-b", "user-c"):
        await create_user(client, name)
    first = await client.get("/api/v1/users", params={"limit": 2}, headers=AUTH)
    assert [u["name"] for u in first.json()["items"]] == ["admin", "reader"]
    cursor = first.json()["next"]
    assert first.headers["Link"] == f'</api/v1/users?limit=2&after={cursor}>; rel="next"'
    second = await client.get("/api/v1/users", params={"limit": 2, "after": cursor}, headers=AUTH)
    assert [u["name"] for u in second.json()["items"]] == ["user-b", "user-c"]
    assert second.json()["next"] is None and "Link" not in second.headers

    assert (await client.get("/api/v1/me", headers=READER)).json()["name"] == "reader"
    changed = await client.patch(
        "/api/v1/users/reader", json={"password": "a-new-password"}, headers=READER
    )
    assert changed.status_code == 200
    assert (await client.get("/api/v1/me", headers=READER)).status_code == 401
    assert (await client.get("/api/v1/me", headers=basic("reader", "a-new-password"))).is_success

    deleted = await client.delete("/api/v1/users/reader", headers=AUTH)
    assert deleted.status_code == 204
    assert (await client.get("/api/v1/users/reader", headers=AUTH)).status_code == 404


async def test_what_only_an_admin_may_do(client: httpx.AsyncClient) -> None:
    await create_user(client, "reader", "reader-password")
    for method, path in [
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/users/admin"),
        ("GET", "/api/v1/groups"),
        ("GET", "/api/v1/permissions"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/system/token-keys/rotate"),
        ("DELETE", "/api/v1/repositories/dev"),
    ]:
        response = await client.request(method, path, headers=READER)
        assert response.status_code == 403, (method, path)
        assert response.headers["Content-Type"] == "application/problem+json"
        anonymous = await client.request(method, path)
        assert anonymous.status_code == 401, (method, path)
    promoted = await client.patch("/api/v1/users/reader", json={"admin": True}, headers=READER)
    assert promoted.status_code == 403


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"name": "x", "password": "short"}, "at least 8 characters"),
        ({"name": "../etc", "password": "long-enough"}, "not a valid user name"),
        ({"name": "a:b", "password": "long-enough"}, "not a valid user name"),
        ({"name": "bot", "service": True, "password": "long-enough"}, "no password"),
        ({"name": "x", "password": "long-enough", "role": "admin"}, "unknown field 'role'"),
        ({"password": "long-enough"}, "'name' (string) is required"),
    ],
)
async def test_bad_user_bodies(
    client: httpx.AsyncClient, body: dict[str, object], detail: str
) -> None:
    response = await client.post("/api/v1/users", json=body, headers=AUTH)
    assert response.status_code == 400
    assert detail in response.json()["detail"]


async def test_the_last_admin_stays(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/users/admin", headers=AUTH)
    assert response.status_code == 409
    assert "last administrator" in response.json()["detail"]
    demoted = await client.patch("/api/v1/users/admin", json={"admin": False}, headers=AUTH)
    assert demoted.status_code == 409
    assert (
        await client.post(
            "/api/v1/users", json={"name": "admin", "password": "x" * 8}, headers=AUTH
        )
    ).status_code == 409


async def test_permission_on_a_pattern(client: httpx.AsyncClient) -> None:
    for key in ("team-a", "team-b", "other"):
        await client.post("/api/v1/repositories", json={"key": key}, headers=AUTH)
    await create_user(client, "reader", "reader-password")
    image = make_image([{"pattern": b"1"}])
    for key in ("team-a", "other"):
        await push_image(client, f"{key}/app", "1", image)
    permission = await grant(client, "user:reader", ["team-*"], ["read"])
    assert (await client.get("/v2/team-a/app/manifests/1", headers=READER)).status_code == 200
    denied = await client.get("/v2/other/app/manifests/1", headers=READER)
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == "DENIED"
    push = await client.post("/v2/team-a/app/blobs/uploads/", headers=READER)
    assert push.status_code == 403
    visible = await client.get("/api/v1/repositories", headers=READER)
    # dev is open to anonymous reads in these tests; other and prod are not listed
    assert [r["key"] for r in visible.json()["items"]] == ["dev", "team-a", "team-b"]

    assert (
        await client.delete(f"/api/v1/permissions/{permission}", headers=AUTH)
    ).status_code == 204
    assert (await client.get("/v2/team-a/app/manifests/1", headers=READER)).status_code == 403


async def test_group_permissions_follow_membership(client: httpx.AsyncClient) -> None:
    await create_user(client, "reader", "reader-password")
    image = make_image([{"group": b"1"}])
    await push_image(client, "staging/app", "1", image)
    created = await client.post(
        "/api/v1/groups", json={"name": "qa", "members": ["reader"]}, headers=AUTH
    )
    assert created.status_code == 201 and created.json()["members"] == ["reader"]
    await grant(client, "group:qa", ["staging"], ["read"])
    assert (await client.get("/v2/staging/app/manifests/1", headers=READER)).status_code == 200
    assert (await client.get("/api/v1/me", headers=READER)).json()["groups"] == ["qa"]
    users = (await client.get("/api/v1/users", headers=AUTH)).json()["items"]
    assert {u["name"]: u["groups"] for u in users} == {"admin": [], "reader": ["qa"]}
    removed = await client.patch("/api/v1/groups/qa", json={"remove": ["reader"]}, headers=AUTH)
    assert removed.json()["members"] == []
    assert (await client.get("/v2/staging/app/manifests/1", headers=READER)).status_code == 403
    unknown = await client.patch("/api/v1/groups/qa", json={"add": ["nobody"]}, headers=AUTH)
    assert unknown.status_code == 400 and "nobody" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"principal": "reader", "repositories": ["dev"], "actions": ["read"]}, "'user:NAME'"),
        (
            {"principal": "user:nobody", "repositories": ["dev"], "actions": ["read"]},
            "does not exist",
        ),
        (
            {"principal": "user:admin", "repositories": ["dev"], "actions": ["fly"]},
            "unknown action",
        ),
        (
            {"principal": "user:admin", "repositories": ["../x"], "actions": ["read"]},
            "not a repository key or pattern",
        ),
        ({"principal": "user:admin", "repositories": [], "actions": ["read"]}, "at least one"),
    ],
)
async def test_bad_permissions(
    client: httpx.AsyncClient, body: dict[str, object], detail: str
) -> None:
    response = await client.post("/api/v1/permissions", json=body, headers=AUTH)
    assert response.status_code in (400, 404)
    assert detail in response.json()["detail"]


async def test_repository_settings_need_manage(client: httpx.AsyncClient) -> None:
    await create_user(client, "reader", "reader-password")
    await grant(client, "user:reader", ["staging"], ["read"])
    refused = await client.patch(
        "/api/v1/repositories/staging", json={"anonymousRead": True}, headers=READER
    )
    assert refused.status_code == 403
    await grant(client, "user:reader", ["staging"], ["manage"])
    opened = await client.patch(
        "/api/v1/repositories/staging", json={"anonymousRead": True}, headers=READER
    )
    assert opened.json()["anonymousRead"] is True
    assert (await client.get("/api/v1/repositories/staging")).status_code == 200


async def test_api_tokens(client: httpx.AsyncClient, clock: Clock) -> None:
    await create_user(client, "dev-user", "dev-user-password")
    await grant(client, "user:dev-user", ["dev", "staging"], ["read", "write"])
    owner = basic("dev-user", "dev-user-password")
    made = await create_token(
        client,
        owner,
        description="CI",
        scopes=[{"repository": "dev", "actions": ["read", "write"]}],
        expires_in=3600,
    )
    secret = made["token"]
    assert secret.startswith("chk_") and made["scopes"] == [
        {"repository": "dev", "actions": ["read", "write"]}
    ]
    listed = (await client.get("/api/v1/tokens", headers=owner)).json()["items"]
    assert [t["id"] for t in listed] == [made["id"]]
    assert "token" not in listed[0] and secret not in str(listed)

    as_password = basic("dev-user", secret)
    assert (await client.post("/v2/dev/app/blobs/uploads/", headers=as_password)).status_code == 202
    assert (await client.get("/api/v1/me", headers=bearer(secret))).json()["token"]["id"] == made[
        "id"
    ]
    other_repo = await client.post("/v2/staging/app/blobs/uploads/", headers=as_password)
    assert other_repo.status_code == 403
    assert made["id"] in other_repo.json()["errors"][0]["message"]
    wrong_owner = await client.get("/v2/dev/app/tags/list", headers=basic("admin", secret))
    assert wrong_owner.status_code == 401

    broader = await client.post(
        "/api/v1/tokens",
        json={"description": "too much", "scopes": [{"repository": "prod", "actions": ["read"]}]},
        headers=owner,
    )
    assert broader.status_code == 403
    assert "cannot grant more than its owner holds" in broader.json()["detail"]

    clock.advance(3601)
    expired = await client.get("/api/v1/me", headers=bearer(secret))
    assert expired.status_code == 401
    assert "unknown, revoked or expired" in expired.json()["detail"]


async def test_revoked_token_stops_at_once(client: httpx.AsyncClient) -> None:
    made = await create_token(client, AUTH, description="short-lived")
    assert (await client.get("/api/v1/me", headers=bearer(made["token"]))).is_success
    assert (await client.delete(f"/api/v1/tokens/{made['id']}", headers=AUTH)).status_code == 204
    revoked = await client.get("/api/v1/me", headers=bearer(made["token"]))
    assert revoked.status_code == 401
    assert (
        await client.get("/v2/dev/a/tags/list", headers=basic("admin", made["token"]))
    ).status_code == 401


async def test_service_account_tokens_are_made_by_an_admin(client: httpx.AsyncClient) -> None:
    await create_user(client, "ci-bot", None, service=True)
    await grant(client, "user:ci-bot", ["dev"], ["read", "write"])
    no_password = await client.get("/api/v1/me", headers=basic("ci-bot", ""))
    assert no_password.status_code == 401
    made = await create_token(
        client,
        AUTH,
        owner="ci-bot",
        description="pipeline",
        scopes=[{"repository": "dev", "actions": ["write"]}],
    )
    assert made["owner"] == "ci-bot"
    image = make_image([{"ci": b"1"}])
    ci = basic("ci-bot", made["token"])
    for blob in image.blobs:
        pushed = await client.post(
            "/v2/dev/app/blobs/uploads/",
            params={"digest": sha256(blob)},
            content=blob,
            headers=ci,
        )
        assert pushed.status_code == 201
    await create_user(client, "reader", "reader-password")
    refused = await client.post(
        "/api/v1/tokens", json={"owner": "ci-bot", "description": "x"}, headers=READER
    )
    assert refused.status_code == 403


async def test_audit_log_records_writes_and_failed_logins(client: httpx.AsyncClient) -> None:
    await create_user(client, "reader", "reader-password")
    image = make_image([{"audit": b"1"}])
    await push_image(client, "dev/app", "1.0", image)
    await client.get("/v2/dev/app/tags/list", headers=basic("reader", "wrong-password"))
    await client.post("/v2/prod/app/blobs/uploads/", headers=READER)

    log = (await client.get("/api/v1/audit", headers=AUTH)).json()["items"]
    actions = [(e["action"], e["principal"], e["result"]) for e in log]
    assert ("blob.push", "reader", "denied") in actions
    assert ("login.failed", "reader", "unauthorized") in actions
    assert ("manifest.push", "admin", "ok") in actions
    assert ("user.create", "admin", "ok") in actions
    await client.post("/api/v1/repositories", json={"key": "team-x"}, headers=AUTH)
    created = await client.get("/api/v1/audit", params={"repository": "team-x"}, headers=AUTH)
    assert [e["action"] for e in created.json()["items"]] == ["repository.create"]
    pushed = next(e for e in log if e["action"] == "manifest.push")
    assert pushed["target"] == "dev/app:1.0" and pushed["repository"] == "dev"
    assert pushed["client"] == "127.0.0.1" and pushed["status"] == 201
    assert pushed["time"].endswith("Z")
    assert [e["id"] for e in log] == sorted((e["id"] for e in log), reverse=True)

    only = await client.get(
        "/api/v1/audit", params={"principal": "reader", "action": "login.failed"}, headers=AUTH
    )
    assert [e["action"] for e in only.json()["items"]] == ["login.failed"]
    by_repo = await client.get("/api/v1/audit", params={"repository": "prod"}, headers=AUTH)
    assert {e["repository"] for e in by_repo.json()["items"]} == {"prod"}
    future = await client.get(
        "/api/v1/audit", params={"since": "2999-01-01T00:00:00Z"}, headers=AUTH
    )
    assert future.json()["items"] == []
    bad = await client.get("/api/v1/audit", params={"since": "yesterday"}, headers=AUTH)
    assert bad.status_code == 400 and "RFC 3339" in bad.json()["detail"]
    paged = await client.get("/api/v1/audit", params={"limit": 1}, headers=AUTH)
    after = paged.json()["next"]
    older = await client.get("/api/v1/audit", params={"limit": 1, "after": after}, headers=AUTH)
    assert older.json()["items"][0]["id"] < paged.json()["items"][0]["id"]


async def test_each_account_change_is_recorded_once_with_its_target_and_status(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "reader", "reader-password")
    calls = [
        ("POST", "/api/v1/users", {"name": "dana", "password": "dana-password"}, AUTH),
        ("PATCH", "/api/v1/users/dana", {"email": "dana@example.com"}, AUTH),
        ("POST", "/api/v1/groups", {"name": "qa", "members": ["dana"]}, AUTH),
        ("PATCH", "/api/v1/groups/qa", {"description": "testers"}, AUTH),
        ("POST", "/api/v1/users", {"name": "eve", "password": "eve-password"}, READER),
    ]
    for method, path, body, headers in calls:
        await client.request(method, path, json=body, headers=headers)
    granted = await client.post(
        "/api/v1/permissions",
        json={"principal": "group:qa", "repositories": ["dev"], "actions": ["read"]},
        headers=AUTH,
    )
    permission = granted.json()["id"]
    for path in (f"/api/v1/permissions/{permission}", "/api/v1/groups/qa", "/api/v1/users/dana"):
        assert (await client.delete(path, headers=AUTH)).status_code == 204

    log = (await client.get("/api/v1/audit", params={"limit": 100}, headers=AUTH)).json()["items"]
    seen = [
        (e["action"], e["principal"], e["target"], e["status"])
        for e in reversed(log)
        if e["action"].split(".")[0] in ("user", "group", "permission")
    ]
    assert seen == [
        ("user.create", "admin", "users/reader", 201),
        ("user.create", "admin", "users/dana", 201),
        ("user.update", "admin", "users/dana", 200),
        ("group.create", "admin", "groups/qa", 201),
        ("group.update", "admin", "groups/qa", 200),
        ("user.create", "reader", "users", 403),
        ("permission.create", "admin", f"permissions/{permission}", 201),
        ("permission.delete", "admin", f"permissions/{permission}", 204),
        ("group.delete", "admin", "groups/qa", 204),
        ("user.delete", "admin", "users/dana", 204),
    ]


async def test_each_token_change_is_recorded_once_with_its_target_and_status(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    await create_user(client, "reader", "reader-password")
    await create_user(client, "ci-bot", None, service=True)
    own = await create_token(client, READER, description="laptop")
    pipeline = await create_token(client, AUTH, owner="ci-bot", description="pipeline")
    refused = await client.post(
        "/api/v1/tokens", json={"owner": "ci-bot", "description": "x"}, headers=READER
    )
    assert refused.status_code == 403
    hidden = await client.delete(f"/api/v1/tokens/{pipeline['id']}", headers=READER)
    assert hidden.status_code == 404
    bots = await client.get("/api/v1/tokens", params={"owner": "ci-bot"}, headers=AUTH)
    assert [t["id"] for t in bots.json()["items"]] == [pipeline["id"]]
    # A token revokes itself: the record names the token it was done with.
    revoked = await client.delete(f"/api/v1/tokens/{own['id']}", headers=bearer(own["token"]))
    assert revoked.status_code == 204
    assert (
        await client.delete(f"/api/v1/tokens/{pipeline['id']}", headers=AUTH)
    ).status_code == 204
    signing = (await registry.keys.current()).kid
    not_rotated = await client.post("/api/v1/system/token-keys/rotate", headers=READER)
    assert not_rotated.status_code == 403 and (await registry.keys.current()).kid == signing
    rotated = await client.post("/api/v1/system/token-keys/rotate", headers=AUTH)
    assert rotated.json()["kid"] == (await registry.keys.current()).kid != signing

    log = (await client.get("/api/v1/audit", params={"limit": 100}, headers=AUTH)).json()["items"]
    seen = [
        (e["action"], e["principal"], e["tokenId"], e["target"], e["status"])
        for e in reversed(log)
        if e["action"].startswith("token")
    ]
    assert seen == [
        ("token.create", "reader", None, f"tokens/{own['id']}", 201),
        ("token.create", "admin", None, f"tokens/{pipeline['id']}", 201),
        ("token.create", "reader", None, "tokens", 403),
        ("token.delete", "reader", None, f"tokens/{pipeline['id']}", 404),
        ("token.delete", "reader", own["id"], f"tokens/{own['id']}", 204),
        ("token.delete", "admin", None, f"tokens/{pipeline['id']}", 204),
        ("token-key.rotate", "reader", None, "system/token-keys/rotate", 403),
        ("token-key.rotate", "admin", None, "system/token-keys/rotate", 200),
    ]
