"""A fleet logging in with one account: its password is hashed once, not once per machine, and
stays verified until that account changes, whatever else is written meanwhile; a change to the
account (password, token, group, permission) takes effect at the next request."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator

import httpx
import pytest

from cargohold.meta import open_metadata_store
from cargohold.registry.identity import passwords
from cargohold.settings import Settings
from tests.integration.accounts import basic, create_token, create_user, grant
from tests.integration.conftest import AUTH

pytestmark = pytest.mark.anyio

FLEET = basic("fleet", "fleet-password")
SCOPE = "repository:staging/team/app:pull"


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The user names whose password was checked against its slow hash, in order."""
    checked: list[str] = []
    real = passwords.verify_password

    def counting(secret: str, stored: str | None) -> bool:
        checked.append(secret)
        return real(secret, stored)

    monkeypatch.setattr("cargohold.registry.identity.access.verify_password", counting)
    yield checked


async def granted(client: httpx.AsyncClient, headers: dict[str, str]) -> list[object]:
    """The actions a registry token for ``SCOPE`` grants the caller (401: raises)."""
    response = await client.get(
        "/v2/token", params={"service": "cargohold", "scope": SCOPE}, headers=headers
    )
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    pull = await client.get(
        "/v2/staging/team/app/tags/list", headers={"Authorization": f"Bearer {token}"}
    )
    return ["pull"] if pull.status_code in (200, 404) else []


async def crowd(client: httpx.AsyncClient, machines: int) -> list[int]:
    async def one() -> int:
        response = await client.get(
            "/v2/token", params={"service": "cargohold", "scope": SCOPE}, headers=FLEET
        )
        return response.status_code

    return list(await asyncio.gather(*(one() for _ in range(machines))))


async def test_a_crowd_logging_in_with_one_password_hashes_it_once(
    client: httpx.AsyncClient, hashes: list[str]
) -> None:
    await create_user(client, "fleet", "fleet-password")
    await grant(client, "user:fleet", ["staging"], ["read"])
    hashes.clear()  # the admin's own login above

    assert await crowd(client, 50) == [200] * 50
    assert hashes == ["fleet-password"]

    # Writes that leave the fleet's account as it was: another account, a permission of
    # another account, a repository change.
    await create_user(client, "someone", "someone-password")
    await grant(client, "user:someone", ["dev"], ["read", "write"])
    patched = await client.patch(
        "/api/v1/repositories/staging", json={"description": "release candidates"}, headers=AUTH
    )
    assert patched.status_code == 200
    hashes.clear()
    assert await crowd(client, 50) == [200] * 50
    assert hashes == []


async def test_a_changed_password_takes_effect_at_the_next_request(
    client: httpx.AsyncClient, hashes: list[str]
) -> None:
    await create_user(client, "fleet", "fleet-password")
    await grant(client, "user:fleet", ["staging"], ["read"])
    assert await crowd(client, 5) == [200] * 5

    changed = await client.patch(
        "/api/v1/users/fleet", json={"password": "new-fleet-password"}, headers=AUTH
    )
    assert changed.status_code == 200
    assert await crowd(client, 5) == [401] * 5
    assert await granted(client, basic("fleet", "new-fleet-password")) == ["pull"]


async def test_group_and_permission_changes_reach_a_remembered_credential(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "fleet", "fleet-password")
    made = await client.post(
        "/api/v1/groups", json={"name": "pullers", "members": ["fleet"]}, headers=AUTH
    )
    assert made.status_code == 201, made.text
    permission = await grant(client, "group:pullers", ["staging"], ["read"])
    assert await granted(client, FLEET) == ["pull"]

    left = await client.patch("/api/v1/groups/pullers", json={"remove": ["fleet"]}, headers=AUTH)
    assert left.status_code == 200, left.text
    assert await granted(client, FLEET) == []

    joined = await client.patch("/api/v1/groups/pullers", json={"add": ["fleet"]}, headers=AUTH)
    assert joined.status_code == 200, joined.text
    assert await granted(client, FLEET) == ["pull"]

    removed = await client.delete(f"/api/v1/permissions/{permission}", headers=AUTH)
    assert removed.status_code == 204
    assert await granted(client, FLEET) == []


async def test_a_revoked_token_sent_as_a_password_is_refused_at_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "fleet", "fleet-password")
    await grant(client, "user:fleet", ["staging"], ["read"])
    token = await create_token(client, FLEET, description="fleet pulls")
    as_password = basic("fleet", token["token"])
    assert await granted(client, as_password) == ["pull"]

    revoked = await client.delete(f"/api/v1/tokens/{token['id']}", headers=FLEET)
    assert revoked.status_code == 204
    response = await client.get(
        "/v2/token", params={"service": "cargohold", "scope": SCOPE}, headers=as_password
    )
    assert response.status_code == 401


async def test_a_user_made_again_under_the_same_name_does_not_inherit_the_old_password(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "fleet", "fleet-password")
    await grant(client, "user:fleet", ["staging"], ["read"])
    assert await granted(client, FLEET) == ["pull"]
    assert (await client.delete("/api/v1/users/fleet", headers=AUTH)).status_code == 204
    await create_user(client, "fleet", "another-password")
    response = await client.get(
        "/v2/token", params={"service": "cargohold", "scope": SCOPE}, headers=FLEET
    )
    assert response.status_code == 401


async def test_issuing_registry_tokens_writes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create_user(client, "fleet", "fleet-password")
    await grant(client, "user:fleet", ["staging"], ["read"])
    assert await crowd(client, 1) == [200]  # the first login clears nothing, writes nothing

    watcher = open_metadata_store(settings.database, run_migrations=False)  # another worker
    try:
        before = contextvars.Context().run(watcher.changes.read)
        assert await crowd(client, 20) == [200] * 20
        assert contextvars.Context().run(watcher.changes.read) == before
    finally:
        watcher.close()
