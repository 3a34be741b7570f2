"""What a PyPI or npm repository allows, through the REST API: overwriting and unpublishing on
a local one, trusting remote names on a virtual one; shown, changed by administrators only,
refused (naming the setting) for a repository of another format or kind, and obeyed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cargohold.core.errors import Conflict
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH, Clock
from tests.integration.packages import create_repository, package_registry, publish

pytestmark = pytest.mark.anyio

REPOSITORIES = "/api/v1/repositories"


@pytest.fixture
def registry(settings: Settings, clock: Clock) -> Iterator[Registry]:
    yield from package_registry(settings, clock)


async def patched(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return await client.patch(f"{REPOSITORIES}/{key}", json=body, headers=headers)


async def refused(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail


async def test_a_local_package_repository_shows_what_it_allows(
    client: httpx.AsyncClient,
) -> None:
    plain = await create_repository(client, "pypi-local", "pypi")
    assert (plain["allowOverwrite"], plain["allowUnpublish"]) == (False, True)
    release = await create_repository(
        client, "npm-release", "npm", allowOverwrite=False, allowUnpublish=False
    )
    assert (release["allowOverwrite"], release["allowUnpublish"]) == (False, False)
    scratch = await create_repository(client, "pypi-scratch", "pypi", allowOverwrite=True)
    assert (scratch["allowOverwrite"], scratch["allowUnpublish"]) == (True, True)
    shown = await client.get(f"{REPOSITORIES}/npm-release", headers=AUTH)
    assert shown.json() == release
    listed = (await client.get(REPOSITORIES, headers=AUTH)).json()["items"]
    assert [r for r in listed if r["key"] == "pypi-scratch"] == [scratch]
    docker = (await client.get(f"{REPOSITORIES}/dev", headers=AUTH)).json()
    assert "allowOverwrite" not in docker
    assert "trustRemoteNames" not in docker


async def test_package_settings_are_refused_for_other_formats_and_kinds_naming_them(
    client: httpx.AsyncClient,
) -> None:
    await create_repository(client, "pypi-local", "pypi")
    await create_repository(client, "files", "generic")
    await create_repository(client, "all-images", "docker", kind="virtual", members=["dev"])
    for body, words in (
        ({"key": "x", "allowOverwrite": True}, ("allowOverwrite", "'x' is a local docker")),
        (
            {"key": "x", "format": "generic", "allowUnpublish": False},
            ("allowUnpublish", "local pypi, npm, deb and maven"),
        ),
        (
            {"key": "x", "format": "pypi", "kind": "virtual", "members": ["pypi-local"]}
            | {"allowOverwrite": True, "allowUnpublish": True},
            ("allowOverwrite, allowUnpublish are settings",),
        ),
        (
            {"key": "x", "format": "pypi", "trustRemoteNames": True},
            ("trustRemoteNames", "virtual"),
        ),
        (
            {"key": "x", "kind": "virtual", "members": ["dev"], "trustRemoteNames": False},
            ("trustRemoteNames", "'x' is a virtual docker repository"),
        ),
    ):
        response = await client.post(REPOSITORIES, json=body, headers=AUTH)
        await refused(response, *words)
    assert (await client.get(f"{REPOSITORIES}/x", headers=AUTH)).status_code == 404

    await refused(await patched(client, "dev", {"allowOverwrite": True}), "allowOverwrite")
    await refused(await patched(client, "files", {"allowUnpublish": True}), "allowUnpublish")
    await refused(
        await patched(client, "pypi-local", {"trustRemoteNames": True}), "trustRemoteNames"
    )
    await refused(
        await patched(client, "all-images", {"trustRemoteNames": True}), "trustRemoteNames"
    )
    response = await patched(client, "pypi-local", {"allowOverwrite": "yes"})
    await refused(response, "'allowOverwrite' must be true or false")


async def test_overwriting_and_unpublishing_follow_the_settings(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    await create_repository(client, "pypi-local", "pypi")
    wheel = "six-1.16.0-py2.py3-none-any.whl"
    await publish(registry, "pypi-local", "six", "1.16.0", {wheel: b"first build"})
    with pytest.raises(Conflict, match="does not allow overwriting"):
        await publish(registry, "pypi-local", "six", "1.16.0", {wheel: b"second build"})

    changed = await patched(client, "pypi-local", {"allowOverwrite": True})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["allowOverwrite"], changed.json()["allowUnpublish"]) == (True, True)
    await publish(registry, "pypi-local", "six", "1.16.0", {wheel: b"second build"})

    locked = await patched(client, "pypi-local", {"allowUnpublish": False})
    assert (locked.json()["allowOverwrite"], locked.json()["allowUnpublish"]) == (True, False)
    gone = await client.delete("/api/v1/packages/pypi-local/six/1.16.0", headers=AUTH)
    assert gone.status_code == 403, gone.text
    assert "allowUnpublish" in gone.json()["detail"]
    restored = await patched(client, "pypi-local", {"allowUnpublish": True})
    assert restored.json()["allowOverwrite"] is True  # what was not given stays
    gone = await client.delete("/api/v1/packages/pypi-local/six/1.16.0", headers=AUTH)
    assert gone.status_code == 200, gone.text


async def test_trusting_remote_names_is_kept_across_other_changes_and_obeyed(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    await create_repository(client, "pypi-local", "pypi")
    await create_repository(client, "pypi-other", "pypi")
    await create_repository(
        client, "pypi-org", "pypi", kind="remote", upstream="https://pypi.org/simple"
    )
    members = ["pypi-local", "pypi-org"]
    guarded = await create_repository(client, "pypi", "pypi", kind="virtual", members=members)
    assert guarded["trustRemoteNames"] is False
    await publish(registry, "pypi-local", "internal-lib", "1.0", {"internal_lib-1.0.tgz": b"x"})

    async def sources(name: str) -> list[str]:
        virtual = await registry.repositories.get("pypi")
        found = await registry.package_members.sources(
            Principal("admin", admin=True), virtual, name
        )
        return [member.key for member in found]

    assert await sources("internal-lib") == ["pypi-local"]
    trusting = await patched(client, "pypi", {"trustRemoteNames": True})
    assert trusting.status_code == 200, trusting.text
    assert trusting.json()["trustRemoteNames"] is True
    assert await sources("internal-lib") == members

    reordered = await patched(
        client, "pypi", {"members": ["pypi-other", *members], "defaultDeployRepo": "pypi-other"}
    )
    assert reordered.status_code == 200, reordered.text
    assert reordered.json()["trustRemoteNames"] is True  # kept across other changes
    assert reordered.json()["members"] == ["pypi-other", *members]
    assert (await client.get(f"{REPOSITORIES}/pypi", headers=AUTH)).json() == reordered.json()
    guarded_again = await patched(client, "pypi", {"trustRemoteNames": False})
    assert guarded_again.json()["trustRemoteNames"] is False
    assert guarded_again.json()["defaultDeployRepo"] == "pypi-other"
    assert await sources("internal-lib") == ["pypi-local"]

    trusting_from_the_start = await create_repository(
        client, "pypi-trusting", "pypi", kind="virtual", members=members, trustRemoteNames=True
    )
    assert trusting_from_the_start["trustRemoteNames"] is True


async def test_only_administrators_change_what_a_package_repository_allows(
    client: httpx.AsyncClient,
) -> None:
    await create_repository(client, "npm-local", "npm")
    await create_repository(client, "npm-mirror", "npm", kind="remote", upstream="http://npm.test")
    await create_repository(
        client, "npm", "npm", kind="virtual", members=["npm-local", "npm-mirror"]
    )
    await create_user(client, "lead", "lead-password")
    await grant(client, "user:lead", ["npm-local", "npm"], ["read", "write", "delete", "manage"])
    lead = basic("lead", "lead-password")

    described = await patched(client, "npm-local", {"description": "releases"}, lead)
    assert described.status_code == 200, described.text
    for key, body in (
        ("npm-local", {"allowOverwrite": True}),
        ("npm-local", {"allowUnpublish": False}),
        ("npm", {"trustRemoteNames": True}),
    ):
        response = await patched(client, key, body, lead)
        assert response.status_code == 403, (body, response.text)
    # Giving a setting as it is changes nothing, which a manager may do (a form sent whole).
    same = await patched(client, "npm-local", {"allowOverwrite": False, "description": "x"}, lead)
    assert same.status_code == 200, same.text
    same = await patched(client, "npm", {"trustRemoteNames": False}, lead)
    assert same.status_code == 200, same.text
    shown = (await client.get(f"{REPOSITORIES}/npm-local", headers=AUTH)).json()
    assert (shown["allowOverwrite"], shown["allowUnpublish"]) == (False, True)
    created = await client.post(
        REPOSITORIES, json={"key": "npm-2", "format": "npm", "allowOverwrite": True}, headers=lead
    )
    assert created.status_code == 403, created.text
