"""Logins through a real OpenLDAP directory (``tests/slapd.py``), next to local accounts: the
first login makes the account, mapped directory groups carry their permissions through Basic
auth, the Docker token flow and the REST API, a verified login is remembered so a fleet does
not hammer the directory, bad credentials are refused and throttled as local ones are, and a
directory that cannot answer is a 503 while local accounts still log in."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.core.errors import DirectoryUnavailable
from cargohold.directory import LdapDirectory
from cargohold.directory.config import parse_group_map
from cargohold.registry.identity.throttle import FREE_PER_USER, MAX_LOCK
from cargohold.settings import Settings
from tests.integration.accounts import basic, bearer, create_user, grant, registry_token
from tests.integration.audit import audited
from tests.integration.conftest import AUTH, PASSWORD, Clock
from tests.servers import free_port
from tests.slapd import (
    GROUPS,
    PEOPLE,
    READER_DN,
    READER_PASSWORD,
    USERS,
    SlapdServer,
    group_dn,
)

pytestmark = pytest.mark.anyio

ADA, GRACE, LINUS = PEOPLE  # ada: devs; grace: ops; linus: no group
ADA_AUTH = basic(ADA.uid, ADA.password)
GROUP_MAP = f"{group_dn('devs')}=developers;{group_dn('ops')}=operators"
PUSH = "repository:staging/team/app:push,pull"


def ldap_settings(tmp_path: Path, url: str, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        ldap_url=url,
        ldap_bind_dn=READER_DN,
        ldap_bind_password=READER_PASSWORD,
        ldap_user_base=USERS,
        ldap_group_base=GROUPS,
        ldap_group_map=parse_group_map(GROUP_MAP),
        **extra,
    ).validated()


@pytest.fixture
def settings(tmp_path: Path, slapd: SlapdServer) -> Settings:
    return ldap_settings(tmp_path, slapd.url)


@asynccontextmanager
async def app_with(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance, for settings other than the module's."""
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    try:
        transport = httpx.ASGITransport(app=build_app(build_registry(settings, store, meta)))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
            yield http
    finally:
        meta.close()


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_the_first_login_makes_an_account_whose_mapped_groups_carry_permissions(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/v2/", headers=ADA_AUTH)).status_code == 200

    account = await me(client, ADA_AUTH)
    assert account["name"] == "ada"
    assert account["directory"] is True
    assert account["email"] == "ada@example.org"
    assert account["groups"] == ["developers"]  # devs is mapped; everyone is not
    shown = await client.get("/api/v1/users/ada", headers=AUTH)
    assert shown.json()["directory"] is True
    assert await audited(client, "user.create", "group.join") == [
        ("user.create", "ada", "users/ada", 201),
        ("group.join", "ada", "groups/developers", 200),
    ]
    # Its password is the directory's.
    changed = await client.patch(
        "/api/v1/users/ada", json={"password": "a-local-password"}, headers=AUTH
    )
    assert changed.status_code == 400
    assert "directory" in changed.json()["detail"]

    # The mapped group's permissions: docker login and push (a registry token from Basic
    # credentials, then an upload with it), the REST API, API tokens.
    await grant(client, "group:developers", ["staging"], ["read", "write"])
    token = await registry_token(client, PUSH, ADA_AUTH)
    upload = await client.post("/v2/staging/team/app/blobs/uploads/", headers=bearer(token))
    assert upload.status_code == 202, upload.text
    # grace is in ops (mapped to operators), which holds nothing on staging.
    grace = basic(GRACE.uid, GRACE.password)
    token = await registry_token(client, PUSH, grace)
    refused = await client.post("/v2/staging/team/app/blobs/uploads/", headers=bearer(token))
    assert refused.status_code in (401, 403), refused.text
    assert (await me(client, grace))["groups"] == ["operators"]

    # An API token of a directory account works like any other.
    created = await client.post("/api/v1/tokens", json={"description": "ci"}, headers=ADA_AUTH)
    assert created.status_code == 201, created.text
    api_token = basic("ada", created.json()["token"])
    token = await registry_token(client, PUSH, api_token)
    upload = await client.post("/v2/staging/team/app/blobs/uploads/", headers=bearer(token))
    assert upload.status_code == 202, upload.text


async def test_a_verified_login_is_remembered_for_the_cache_time(
    client: httpx.AsyncClient, slapd: SlapdServer, settings: Settings, clock: Clock
) -> None:
    async def fleet(machines: int) -> list[int]:
        async def one() -> int:
            response = await client.get(
                "/v2/token", params={"service": "cargohold", "scope": PUSH}, headers=ADA_AUTH
            )
            return response.status_code

        return list(await asyncio.gather(*(one() for _ in range(machines))))

    before = slapd.connections()
    assert await fleet(20) == [200] * 20
    first = slapd.connections() - before
    assert first == 2  # the service account's search, and ada's own bind
    assert await fleet(20) == [200] * 20
    assert slapd.connections() - before == first

    clock.advance(settings.ldap_cache_seconds)
    assert await fleet(5) == [200] * 5
    assert slapd.connections() - before == 2 * first


async def test_bad_credentials_are_refused_and_throttled_and_local_accounts_come_first(
    client: httpx.AsyncClient, slapd: SlapdServer, clock: Clock
) -> None:
    for headers in (
        basic("ada", "not-the-password"),
        basic("nobody", "any-password"),
        basic("ad*", ADA.password),  # not a name: never reaches a filter
        basic("ada", ""),  # an empty password would be an anonymous bind
    ):
        refused = await client.get("/v2/", headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["errors"][0]["code"] == "UNAUTHORIZED"
    for _ in range(FREE_PER_USER):
        refused = await client.get("/v2/", headers=basic("linus", "guessing"))
        assert refused.status_code == 401
    locked = await client.get("/v2/", headers=basic("linus", LINUS.password))
    assert locked.status_code == 429, locked.text
    clock.advance(MAX_LOCK)
    assert (await client.get("/v2/", headers=basic("linus", LINUS.password))).status_code == 200
    assert ("login.failed", "linus", "linus", 401) in await audited(client, "login.failed")

    # Local accounts first, and the directory is not asked about them: the admin, and a local
    # account named as a directory user, which logs in with its own password only.
    before = slapd.connections()
    await create_user(client, "grace", "grace-local-password")
    local = basic("grace", "grace-local-password")
    assert (await client.get("/v2/", headers=local)).status_code == 200
    directory = await client.get("/v2/", headers=basic("grace", GRACE.password))
    assert directory.status_code == 401
    assert (await me(client, local))["directory"] is False
    assert slapd.connections() == before


async def test_memberships_follow_the_directory_at_the_next_login(
    client: httpx.AsyncClient, slapd: SlapdServer, settings: Settings, clock: Clock
) -> None:
    grace = basic(GRACE.uid, GRACE.password)
    assert (await me(client, grace))["groups"] == ["operators"]
    moved = f"""dn: {group_dn("ops")}
changetype: modify
delete: member
member: {GRACE.dn}

dn: {group_dn("devs")}
changetype: modify
add: member
member: {GRACE.dn}
"""
    back = f"""dn: {group_dn("devs")}
changetype: modify
delete: member
member: {GRACE.dn}

dn: {group_dn("ops")}
changetype: modify
add: member
member: {GRACE.dn}
"""
    slapd.modify(moved)
    try:
        assert (await me(client, grace))["groups"] == ["operators"]  # remembered
        clock.advance(settings.ldap_cache_seconds)
        assert (await me(client, grace))["groups"] == ["developers"]
    finally:
        slapd.modify(back)
    assert await audited(client, "group.join", "group.leave") == [
        ("group.join", "grace", "groups/operators", 200),
        ("group.join", "grace", "groups/developers", 200),
        ("group.leave", "grace", "groups/operators", 200),
    ]


async def test_a_directory_that_cannot_answer_is_a_503_and_local_accounts_still_log_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    closed = free_port()  # nothing listens there
    caplog.set_level(logging.INFO)
    async with app_with(ldap_settings(tmp_path, f"ldap://127.0.0.1:{closed}")) as client:
        ping = await client.get("/v2/", headers=ADA_AUTH)
        assert ping.status_code == 503, ping.text
        assert ping.json()["errors"][0]["code"] == "UNAVAILABLE"
        assert "directory" in ping.json()["errors"][0]["message"]
        token = await client.get(
            "/v2/token", params={"service": "cargohold", "scope": PUSH}, headers=ADA_AUTH
        )
        assert token.status_code == 503
        rest = await client.get("/api/v1/me", headers=ADA_AUTH)
        assert rest.status_code == 503
        assert rest.headers["content-type"].startswith("application/problem+json")
        assert (await client.get("/v2/", headers=AUTH)).status_code == 200
        assert await audited(client, "login.failed") == []  # nothing is known of ada
    assert "cannot be asked" in caplog.text
    assert READER_PASSWORD not in caplog.text
    assert ADA.password not in caplog.text


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ldaps_and_starttls_check_the_directory_certificate(
    tmp_path: Path, slapd: SlapdServer
) -> None:
    for url, starttls in ((slapd.ldaps_url, False), (slapd.starttls_url, True)):
        trusted = ldap_settings(tmp_path, url, ldap_starttls=starttls, ldap_ca_file=slapd.ca_file)
        assert trusted.ldap is not None
        found = LdapDirectory(trusted.ldap).authenticate("ada", ADA.password)
        assert found is not None and found.email == "ada@example.org"
    # Without the CA file, the directory's certificate is not trusted: no password is sent.
    untrusted = ldap_settings(tmp_path, slapd.ldaps_url)
    assert untrusted.ldap is not None
    with pytest.raises(DirectoryUnavailable):
        LdapDirectory(untrusted.ldap).authenticate("ada", ADA.password)
    gc.collect()  # ldap3 leaves the socket of a refused handshake to the collector


def test_user_names_reach_the_directory_filter_escaped(
    settings: Settings, slapd: SlapdServer
) -> None:
    config = settings.ldap
    assert config is not None
    directory = LdapDirectory(config)
    found = directory.authenticate("ada", ADA.password)
    assert found is not None and found.dn == ADA.dn
    # Unescaped, (uid=ad*) would find ada, and her password would let the name in.
    assert directory.authenticate("ad*", ADA.password) is None
    assert directory.authenticate("*)(uid=ada", ADA.password) is None
