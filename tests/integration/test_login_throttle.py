"""Password guessing is throttled per user and per client address, and never locks anyone
out for longer than MAX_LOCK."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cargohold.app import build_app
from cargohold.registry.identity.throttle import FREE_PER_ADDRESS, FREE_PER_USER, MAX_LOCK
from cargohold.registry.registry import Registry
from tests.integration.accounts import basic, create_token, create_user
from tests.integration.conftest import AUTH, PASSWORD, Clock

pytestmark = pytest.mark.anyio


def from_address(registry: Registry, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(registry), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://registry")


@pytest.fixture
async def elsewhere(registry: Registry) -> AsyncIterator[httpx.AsyncClient]:
    async with from_address(registry, "192.0.2.7") as client:
        yield client


async def test_user_is_locked_after_repeated_failures(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, clock: Clock
) -> None:
    await create_user(client, "victim", "victim-password")
    right = basic("victim", "victim-password")
    wrong = basic("victim", "guess")
    for _ in range(FREE_PER_USER - 1):
        assert (await client.get("/api/v1/me", headers=wrong)).status_code == 401
    assert (await client.get("/api/v1/me", headers=right)).status_code == 200  # a success resets
    for _ in range(FREE_PER_USER):
        assert (await client.get("/api/v1/me", headers=wrong)).status_code == 401
    locked = await client.get("/api/v1/me", headers=right)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "3"
    assert "too many failed logins" in locked.json()["detail"]
    # The lock is on the user name, wherever the next guess comes from ...
    assert (await elsewhere.get("/v2/dev/a/tags/list", headers=right)).status_code == 429
    registry_error = await elsewhere.get("/v2/dev/a/tags/list", headers=right)
    assert registry_error.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    # ... and lifts by itself.
    clock.advance(3)
    assert (await client.get("/api/v1/me", headers=right)).status_code == 200


async def test_lock_is_bounded_and_tokens_still_work(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, clock: Clock
) -> None:
    token = await create_token(client, AUTH, description="break glass")
    wrong = basic("admin", "guess")
    for _ in range(FREE_PER_USER + 30):
        await elsewhere.get("/api/v1/me", headers=wrong)
    locked = await client.get("/api/v1/me", headers=AUTH)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) <= MAX_LOCK + 1
    # An API token cannot be guessed, so the user lock does not stop it.
    with_token = await client.get("/api/v1/me", headers=basic("admin", token["token"]))
    assert with_token.status_code == 200
    clock.advance(MAX_LOCK + 1)
    assert (await client.get("/api/v1/me", headers=AUTH)).status_code == 200


async def test_address_is_locked_when_it_guesses_many_users(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, clock: Clock
) -> None:
    for attempt in range(FREE_PER_ADDRESS):
        await elsewhere.get("/api/v1/me", headers=basic(f"user-{attempt}", "guess"))
    blocked = await elsewhere.get("/api/v1/me", headers=AUTH)
    assert blocked.status_code == 429
    # Other addresses, and the users guessed at, are unaffected.
    assert (await client.get("/api/v1/me", headers=basic("admin", PASSWORD))).status_code == 200
    clock.advance(MAX_LOCK)
    assert (await elsewhere.get("/api/v1/me", headers=AUTH)).status_code == 200


async def test_failed_logins_are_audited(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient
) -> None:
    await elsewhere.get("/v2/", headers=basic("mallory", "guess"))
    log = (
        await client.get("/api/v1/audit", params={"action": "login.failed"}, headers=AUTH)
    ).json()
    assert [(e["principal"], e["client"], e["status"]) for e in log["items"]] == [
        ("mallory", "192.0.2.7", 401)
    ]


async def test_a_locked_address_is_refused_even_a_right_and_remembered_password(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient
) -> None:
    """Spraying one password over many names from one address locks the address; a guess
    that is right is refused there too, though the registry remembers that credential from
    the machines that use it (so the lock cannot be used to tell right from wrong)."""
    await create_user(client, "fleet", "fleet-password")
    right = basic("fleet", "fleet-password")
    assert (await client.get("/api/v1/me", headers=right)).status_code == 200  # remembered now
    for n in range(FREE_PER_ADDRESS + 1):
        sprayed = await elsewhere.get("/api/v1/me", headers=basic(f"user{n}", "fleet-password"))
        assert sprayed.status_code in (401, 429)
    assert (await elsewhere.get("/api/v1/me", headers=right)).status_code == 429
    assert (await client.get("/api/v1/me", headers=right)).status_code == 200
