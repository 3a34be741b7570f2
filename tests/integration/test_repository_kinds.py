"""Remote and virtual repositories through the REST API: created, shown and changed with the
settings of their kind; the upstream password never shown back; bad settings refused with a
message; who may change what."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cargohold.registry.registry import Registry
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH

pytestmark = pytest.mark.anyio

REPOSITORIES = "/api/v1/repositories"
SECRET = "upstream-s3cret"
HUB = {
    "key": "hub",
    "format": "docker",
    "kind": "remote",
    "upstream": "https://registry-1.docker.io/",
    "username": "puller",
    "password": SECRET,
    "revalidateSeconds": 600,
    "timeoutSeconds": 10,
}


async def created(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(REPOSITORIES, json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    assert SECRET not in response.text
    shown: dict[str, Any] = response.json()
    return shown


async def patched(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    response = await client.patch(f"{REPOSITORIES}/{key}", json=body, headers=headers)
    assert SECRET not in response.text
    return response


async def stored_password(registry: Registry, key: str) -> str | None:
    remote = (await registry.repositories.get(key)).remote
    assert remote is not None
    return remote.password


async def test_a_remote_repository_shows_its_upstream_but_never_its_password(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    hub = await created(client, HUB)
    assert hub == {
        "key": "hub",
        "format": "docker",
        "kind": "remote",
        "anonymousRead": False,
        "immutableTags": False,
        "description": "",
        "quotaBytes": None,
        "usedBytes": 0,
        "upstream": "https://registry-1.docker.io",
        "username": "puller",
        "hasPassword": True,
        "verifyTls": True,
        "revalidateSeconds": 600,
        "timeoutSeconds": 10.0,
        "offline": False,
    }
    shown = await client.get(f"{REPOSITORIES}/hub", headers=AUTH)
    assert shown.json() == hub
    listed = await client.get(REPOSITORIES, headers=AUTH)
    assert SECRET not in listed.text
    assert [r for r in listed.json()["items"] if r["key"] == "hub"] == [hub]
    assert await stored_password(registry, "hub") == SECRET

    plain = await created(client, {"key": "mirror", "kind": "remote", "upstream": "http://m:5000"})
    assert (plain["username"], plain["hasPassword"], plain["offline"]) == (None, False, False)
    assert (plain["revalidateSeconds"], plain["timeoutSeconds"]) == (300, 30.0)
    local = (await client.get(f"{REPOSITORIES}/dev", headers=AUTH)).json()
    assert "upstream" not in local
    assert "members" not in local


async def test_changing_a_remote_repository_keeps_the_password_only_for_the_same_upstream(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    await created(client, HUB)
    offline = await patched(client, "hub", {"offline": True, "revalidateSeconds": 0})
    assert offline.status_code == 200, offline.text
    assert offline.json()["offline"] is True
    assert offline.json()["revalidateSeconds"] == 0
    assert offline.json()["hasPassword"] is True
    assert await stored_password(registry, "hub") == SECRET

    moved = await patched(client, "hub", {"upstream": "https://mirror.example.com"})
    assert moved.status_code == 400
    assert "give the upstream password again" in moved.json()["detail"]
    renamed = await patched(client, "hub", {"username": "other"})
    assert renamed.status_code == 400
    assert "the username changes" in renamed.json()["detail"]

    both = {"upstream": "https://mirror.example.com", "password": "new-" + SECRET}
    moved = await patched(client, "hub", both)
    assert moved.status_code == 200, moved.text
    assert moved.json()["upstream"] == "https://mirror.example.com"
    assert moved.json()["username"] == "puller"
    assert moved.json()["offline"] is True  # what was not given stays
    assert await stored_password(registry, "hub") == "new-" + SECRET

    anonymous = await patched(client, "hub", {"password": None, "verifyTls": False})
    assert anonymous.status_code == 200, anonymous.text
    shown = anonymous.json()
    assert (shown["username"], shown["hasPassword"], shown["verifyTls"]) == (None, False, False)
    assert await stored_password(registry, "hub") is None
    half = await patched(client, "hub", {"password": SECRET})
    assert half.status_code == 400
    assert "needs a username" in half.json()["detail"]


async def test_a_virtual_repository_lists_its_members_and_default_deploy_repository(
    client: httpx.AsyncClient,
) -> None:
    await created(client, HUB)
    virtual = {"key": "all", "kind": "virtual", "members": ["dev", "hub"]}
    everything = await created(client, virtual | {"defaultDeployRepo": "dev"})
    assert everything["members"] == ["dev", "hub"]
    assert everything["defaultDeployRepo"] == "dev"
    assert "upstream" not in everything
    assert (await client.get(f"{REPOSITORIES}/all", headers=AUTH)).json() == everything

    reordered = await patched(client, "all", {"members": ["hub", "staging", "dev"]})
    assert reordered.status_code == 200, reordered.text
    assert reordered.json()["members"] == ["hub", "staging", "dev"]
    assert reordered.json()["defaultDeployRepo"] == "dev"
    refused = await patched(client, "all", {"defaultDeployRepo": None})
    assert refused.json()["defaultDeployRepo"] is None
    dropped = await patched(client, "all", {"members": ["hub"], "defaultDeployRepo": "dev"})
    assert dropped.status_code == 400
    assert "must be one of the members (hub)" in dropped.json()["detail"]

    member = await client.delete(f"{REPOSITORIES}/hub", headers=AUTH)
    assert member.status_code == 409
    assert "member of virtual repository 'all'" in member.json()["detail"]
    assert (await patched(client, "all", {"members": ["staging"]})).status_code == 200
    assert (await client.delete(f"{REPOSITORIES}/hub", headers=AUTH)).status_code == 200


BAD_CREATIONS: list[tuple[dict[str, Any], str]] = [
    ({"key": "x", "upstream": "https://r.example.com"}, "upstream is a setting of remote"),
    ({"key": "x", "kind": "virtual", "members": ["dev"], "offline": True}, "offline is a"),
    ({"key": "x", "members": ["dev"], "defaultDeployRepo": "dev"}, "are settings of virt"),
    ({"key": "x", "kind": "remote"}, "needs an upstream URL (--upstream"),
    ({"key": "x", "kind": "remote", "upstream": "ftp://r"}, "is not an http(s) URL"),
    ({"key": "x", "kind": "remote", "upstream": "https://u:p@r"}, "give the credentials"),
    ({"key": "x", "kind": "remote", "upstream": 5}, "'upstream' must be a string"),
    ({"key": "x", "kind": "remote", "upstream": "https://r", "username": "u"}, "both"),
    ({"key": "x", "kind": "remote", "upstream": "https://r", "password": ""}, "is empty"),
    ({"key": "x", "kind": "remote", "upstream": "https://r", "revalidateSeconds": -1}, "0"),
    ({"key": "x", "kind": "remote", "upstream": "https://r", "timeoutSeconds": 0}, "above"),
    ({"key": "x", "kind": "remote", "upstream": "https://r", "offline": "yes"}, "true or"),
    ({"key": "x", "kind": "virtual"}, "needs members"),
    ({"key": "x", "kind": "virtual", "members": ["dev", "nope"]}, "'nope' does not exist"),
    ({"key": "x", "kind": "virtual", "members": "dev"}, "must be a list of strings"),
    ({"key": "x", "kind": "virtual", "members": ["dev", "dev"]}, "each member once"),
    ({"key": "x", "kind": "virtual", "members": ["dev"], "defaultDeployRepo": "prod"}, "one"),
    ({"key": "x", "kind": "mirror"}, "kind 'mirror' is not supported"),
]


async def test_bad_settings_are_refused_with_a_message(client: httpx.AsyncClient) -> None:
    for body, message in BAD_CREATIONS:  # one app for all: each is refused, nothing is made
        response = await client.post(REPOSITORIES, json=body, headers=AUTH)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert message in response.json()["detail"], body
    assert (await client.get(f"{REPOSITORIES}/x", headers=AUTH)).status_code == 404


async def test_settings_of_another_kind_are_refused_on_change(client: httpx.AsyncClient) -> None:
    await created(client, HUB)
    await created(client, {"key": "all", "kind": "virtual", "members": ["dev", "hub"]})
    wrong: list[tuple[str, dict[str, Any], str]] = [
        ("dev", {"offline": True}, "repository 'dev' is local; only a remote repository"),
        ("dev", {"members": ["hub"]}, "only a virtual repository has members"),
        ("hub", {"members": ["dev"]}, "repository 'hub' is remote"),
        ("all", {"upstream": "https://r.example.com"}, "repository 'all' is virtual"),
        ("all", {"members": ["all"]}, "member 'all' is a virtual repository"),
        ("all", {"members": []}, "'all' needs members"),
        ("hub", {"timeoutSeconds": 4000}, "3600 at most"),
    ]
    for key, body, message in wrong:
        response = await patched(client, key, body)
        assert response.status_code == 400, (key, body, response.text)
        assert message in response.json()["detail"], (key, body)


async def test_a_manager_may_take_a_remote_offline_but_only_an_admin_changes_where_it_points(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    await created(client, HUB)
    await created(client, {"key": "all", "kind": "virtual", "members": ["dev", "hub"]})
    await create_user(client, "keeper", "keeper-password")
    await grant(client, "user:keeper", ["hub", "all"], ["read", "manage"])
    keeper = basic("keeper", "keeper-password")

    managed = await patched(client, "hub", {"offline": True, "timeoutSeconds": 5}, keeper)
    assert managed.status_code == 200, managed.text
    same = await patched(client, "hub", {"upstream": HUB["upstream"], "verifyTls": True}, keeper)
    assert same.status_code == 200, same.text  # the values it has: no change
    admins_only: list[tuple[str, dict[str, Any]]] = [
        ("hub", {"upstream": "https://evil.example.com", "password": "x"}),
        ("hub", {"verifyTls": False}),
        ("hub", {"password": None}),
        ("hub", {"username": "puller", "password": "guess"}),
        ("all", {"members": ["hub", "dev"]}),
        ("all", {"defaultDeployRepo": "dev"}),
    ]
    for key, body in admins_only:
        refused = await patched(client, key, body, keeper)
        assert refused.status_code == 403, (key, body, refused.text)
        assert "not an administrator" in refused.json()["detail"]
    assert await stored_password(registry, "hub") == SECRET
    hub = (await client.get(f"{REPOSITORIES}/hub", headers=AUTH)).json()
    assert (hub["offline"], hub["timeoutSeconds"], hub["verifyTls"]) == (True, 5.0, True)
    assert (await client.get(f"{REPOSITORIES}/all", headers=AUTH)).json()["members"] == [
        "dev",
        "hub",
    ]
    made = await client.post(REPOSITORIES, json=HUB | {"key": "hub2"}, headers=keeper)
    assert made.status_code == 403

    audit = await client.get("/api/v1/audit", params={"limit": 100}, headers=AUTH)
    updates = [
        (e["principal"], e["target"], e["status"])
        for e in reversed(audit.json()["items"])
        if e["action"] == "repository.update"
    ]
    assert updates[:3] == [
        ("keeper", "repositories/hub", 200),
        ("keeper", "repositories/hub", 200),
        ("keeper", "repositories/hub", 403),
    ]
    assert len(updates) == 8
