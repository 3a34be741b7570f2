"""The registry token service (/v2/token) and bearer tokens on /v2: what each token grants,
and each way a token is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from cargohold.meta.store import open_metadata_store
from cargohold.registry.identity.bearer import BearerTokens
from cargohold.registry.identity.keyring import KeyRing
from cargohold.registry.registry import Registry
from tests.images import make_image
from tests.integration.accounts import (
    basic,
    bearer,
    create_token,
    create_user,
    grant,
    registry_token,
)
from tests.integration.conftest import AUTH, Clock
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio

READER = basic("reader", "reader-password")


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


async def reader_with_read_on(client: httpx.AsyncClient, *repositories: str) -> str:
    await create_user(client, "reader", "reader-password")
    return await grant(client, "user:reader", list(repositories), ["read"])


def challenge(response: httpx.Response) -> str:
    return response.headers["WWW-Authenticate"]


async def test_anonymous_challenge_names_realm_service_and_scope(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/staging/team/app/manifests/1.0")
    assert response.status_code == 401
    assert challenge(response) == (
        'Bearer realm="http://registry/v2/token",service="cargohold",'
        'scope="repository:staging/team/app:pull"'
    )
    delete = await client.delete("/v2/staging/team/app/manifests/1.0")
    assert 'scope="repository:staging/team/app:delete"' in challenge(delete)
    catalog = await client.get("/v2/_catalog", headers={"Authorization": "Bearer x.y.z"})
    assert 'scope="registry:catalog:*",error="invalid_token"' in challenge(catalog)


async def test_token_grants_only_what_the_caller_holds(client: httpx.AsyncClient) -> None:
    await reader_with_read_on(client, "staging")
    image = make_image([{"token": b"1"}])
    await push_image(client, "staging/team/app", "1.0", image)
    response = await client.get(
        "/v2/token",
        params={"service": "cargohold", "scope": "repository:staging/team/app:pull,push"},
        headers=READER,
    )
    body = response.json()
    assert body["expires_in"] == 300 and body["token"] == body["access_token"]
    assert body["issued_at"].endswith("Z")
    granted = claims(body["token"])
    assert granted["sub"] == "reader" and granted["aud"] == "cargohold"
    assert granted["access"] == [
        {"type": "repository", "name": "staging/team/app", "actions": ["pull"]}
    ]
    token = bearer(body["token"])
    assert (
        await client.get("/v2/staging/team/app/manifests/1.0", headers=token)
    ).status_code == 200
    assert (await client.get("/v2/", headers=token)).status_code == 200
    push = await client.post("/v2/staging/team/app/blobs/uploads/", headers=token)
    assert push.status_code == 403  # the user cannot push at all: asking again will not help
    assert push.json()["errors"][0]["code"] == "DENIED"


async def test_anonymous_token_for_an_open_repository(client: httpx.AsyncClient) -> None:
    image = make_image([{"anon": b"1"}])
    await push_image(client, "dev/team/app", "1.0", image)
    token = await registry_token(client, "repository:dev/team/app:pull,push")
    assert claims(token)["sub"] == ""
    assert claims(token)["access"] == [
        {"type": "repository", "name": "dev/team/app", "actions": ["pull"]}
    ]
    pulled = await client.get("/v2/dev/team/app/manifests/1.0", headers=bearer(token))
    assert pulled.status_code == 200
    closed = await registry_token(client, "repository:prod/team/app:pull")
    assert claims(closed)["access"] == [
        {"type": "repository", "name": "prod/team/app", "actions": []}
    ]
    refused = await client.get("/v2/prod/team/app/manifests/1.0", headers=bearer(closed))
    assert refused.status_code == 401


async def test_token_for_one_image_used_on_another(client: httpx.AsyncClient) -> None:
    await reader_with_read_on(client, "dev", "staging")
    token = await registry_token(client, "repository:dev/team/app:pull", READER)
    response = await client.get("/v2/staging/team/app/tags/list", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert challenge(response).endswith(
        'scope="repository:staging/team/app:pull",error="insufficient_scope"'
    )


async def test_pull_only_token_used_to_push(client: httpx.AsyncClient) -> None:
    token = await registry_token(client, "repository:dev/team/app:pull", AUTH)
    response = await client.post("/v2/dev/team/app/blobs/uploads/", headers=bearer(token))
    assert response.status_code == 401
    assert 'scope="repository:dev/team/app:pull,push",error="insufficient_scope"' in challenge(
        response
    )
    assert "does not grant write" in response.json()["errors"][0]["message"]
    scoped = await create_token(
        client, AUTH, description="pull only", scopes=[{"repository": "dev", "actions": ["read"]}]
    )
    with_api_token = await client.post(
        "/v2/dev/team/app/blobs/uploads/", headers=basic("admin", scoped["token"])
    )
    assert with_api_token.status_code == 403
    assert with_api_token.json()["errors"][0]["code"] == "DENIED"


async def test_expired_token(client: httpx.AsyncClient, clock: Clock) -> None:
    token = await registry_token(client, "repository:dev/team/app:pull", AUTH)
    assert (
        await client.get("/v2/dev/team/app/tags/list", headers=bearer(token))
    ).status_code == 200
    clock.advance(299)
    assert (
        await client.get("/v2/dev/team/app/tags/list", headers=bearer(token))
    ).status_code == 200
    clock.advance(1)
    expired = await client.get("/v2/dev/team/app/tags/list", headers=bearer(token))
    assert expired.status_code == 401
    assert (
        expired.json()["errors"][0]["message"] == "the bearer token has expired; request a new one"
    )
    assert 'error="invalid_token"' in challenge(expired)


async def test_token_signed_with_another_key(
    client: httpx.AsyncClient, tmp_path: Path, clock: Clock
) -> None:
    foreign = open_metadata_store(f"sqlite:///{tmp_path / 'foreign.db'}")  # another registry
    try:
        forged = await BearerTokens(KeyRing(foreign, clock), "cargohold", 300, clock).issue(
            "admin",
            None,
            [{"type": "repository", "name": "prod/app", "actions": ["pull", "push"]}],
        )
    finally:
        foreign.close()
    response = await client.get("/v2/prod/app/tags/list", headers=bearer(forged.token))
    assert response.status_code == 401
    assert "not signed by this registry" in response.json()["errors"][0]["message"]


async def test_key_rotation_keeps_valid_tokens(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    before = await registry_token(client, "repository:dev/team/app:pull", AUTH)
    rotated = await client.post("/api/v1/system/token-keys/rotate", headers=AUTH)
    assert rotated.status_code == 200
    after = await registry_token(client, "repository:dev/team/app:pull", AUTH)
    header = json.loads(base64.urlsafe_b64decode(after.split(".")[0] + "=="))
    assert (
        header["kid"]
        == rotated.json()["kid"]
        != json.loads(base64.urlsafe_b64decode(before.split(".")[0] + "=="))["kid"]
    )
    for token in (before, after):
        assert (await client.get("/v2/dev/team/app/tags/list", headers=bearer(token))).is_success


async def test_permission_removed_while_a_token_is_held(client: httpx.AsyncClient) -> None:
    """Bearer tokens live 5 minutes, but rights are checked at every request: a removed
    permission takes effect at the next one, not when the token expires."""
    permission = await reader_with_read_on(client, "staging")
    token = await registry_token(client, "repository:staging/team/app:pull", READER)
    assert (
        await client.get("/v2/staging/team/app/tags/list", headers=bearer(token))
    ).status_code in (200, 404)
    await client.delete(f"/api/v1/permissions/{permission}", headers=AUTH)
    refused = await client.get("/v2/staging/team/app/tags/list", headers=bearer(token))
    assert refused.status_code == 403
    await client.delete("/api/v1/users/reader", headers=AUTH)
    gone = await client.get("/v2/staging/team/app/tags/list", headers=bearer(token))
    assert gone.status_code == 401


async def test_oauth_password_and_refresh_grants(client: httpx.AsyncClient) -> None:
    await reader_with_read_on(client, "dev")
    form = {
        "grant_type": "password",
        "username": "reader",
        "password": "reader-password",
        "service": "cargohold",
        "scope": "repository:dev/team/app:pull",
        "client_id": "containerd",
        "access_type": "offline",
    }
    response = await client.post("/v2/token", data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "repository:dev/team/app:pull"
    refresh = body["refresh_token"]
    listed = (await client.get("/api/v1/tokens", headers=READER)).json()["items"]
    assert [t["kind"] for t in listed] == ["refresh"]
    renewed = await client.post(
        "/v2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "scope": form["scope"]},
    )
    assert claims(renewed.json()["access_token"])["sub"] == "reader"
    await client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=READER)
    revoked = await client.post(
        "/v2/token", data={"grant_type": "refresh_token", "refresh_token": refresh}
    )
    assert revoked.status_code == 401
    wrong = await client.post("/v2/token", data={**form, "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["message"] == "wrong user name or password"
    odd = await client.post("/v2/token", data={"grant_type": "client_credentials"})
    assert odd.status_code == 400


async def test_docker_login_gets_a_refresh_token(client: httpx.AsyncClient) -> None:
    await reader_with_read_on(client, "dev")
    response = await client.get(
        "/v2/token",
        params={
            "account": "reader",
            "client_id": "docker",
            "offline_token": "true",
            "service": "cargohold",
        },
        headers=READER,
    )
    refresh = response.json()["refresh_token"]
    assert refresh.startswith("chk_")
    token = await create_token(
        client, READER, description="CI", scopes=[{"repository": "dev", "actions": ["read"]}]
    )
    with_api_token = await client.get(
        "/v2/token",
        params={"offline_token": "true", "service": "cargohold"},
        headers=basic("reader", token["token"]),
    )
    # Logging in with an API token never yields a broader refresh token than that token.
    assert with_api_token.json()["refresh_token"] == token["token"]


@pytest.mark.parametrize(
    "path",
    [
        "/v2/dev/%2e%2e/prod/app/manifests/latest",
        "/v2/dev/app%00/manifests/latest",
        "/v2/dev/" + "a/" * 200 + "app/manifests/latest",
        "/v2/dev/UPPER/manifests/latest",
    ],
)
async def test_hostile_names_are_refused(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "NAME_INVALID"


async def test_hostile_scopes_grant_nothing(client: httpx.AsyncClient) -> None:
    for scope in ("repository:dev/../prod/app:pull", "repository:dev/a\x00b:pull", "junk"):
        token = await registry_token(client, scope, AUTH)
        assert claims(token)["access"] == []


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "é.é.é",
        "!!!!.e30.sig",
        b64(b"[" * 5000) + ".e30.sig",  # nested deeper than a JSON parser's recursion limit
        b64(b'"a string"') + ".e30.sig",
        b64(b'{"alg":"ES256","kid":7}') + ".e30.sig",
        b64(b'{"alg":"ES256","kid":"nope"}') + ".e30.sig",
    ],
)
async def test_malformed_bearer_tokens_are_refused_with_the_challenge(
    client: httpx.AsyncClient, token: str
) -> None:
    authorization = b"Bearer " + token.encode("latin-1")  # as it crosses the wire
    response = await client.get(
        "/v2/dev/team/app/tags/list", headers={b"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert 'error="invalid_token"' in challenge(response)


async def test_a_tampered_copy_of_a_token_in_use_is_refused(client: httpx.AsyncClient) -> None:
    token = await registry_token(client, "repository:dev/team/app:pull", AUTH)
    assert (await client.get("/v2/dev/team/app/tags/list", headers=bearer(token))).is_success
    header, payload, signature = token.split(".")
    widened = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    widened["access"][0]["actions"] = ["pull", "push"]
    tampered = ".".join((header, b64(json.dumps(widened).encode()), signature))
    response = await client.put(
        "/v2/dev/team/app/manifests/1.0", headers=bearer(tampered), content=b"{}"
    )
    assert response.status_code == 401
    assert "not valid" in response.json()["errors"][0]["message"]


async def test_a_fleet_asking_for_the_same_token_gets_it_again_while_it_is_fresh(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    async def ask(scope: str, headers: dict[str, str]) -> dict[str, object]:
        response = await client.get("/v2/token", params={"scope": scope}, headers=headers)
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        return answer

    await reader_with_read_on(client, "dev")
    pull = "repository:dev/team/app:pull"
    first = await ask(pull, READER)
    clock.advance(20)
    again = await ask(pull, READER)
    assert again["token"] == first["token"]  # signed once for every machine of the fleet
    assert first["expires_in"] == 300
    assert again["expires_in"] in (279, 280)  # what is left until its exp (whole seconds)
    assert again["issued_at"] == first["issued_at"]
    assert (await ask("repository:dev/team/other:pull", READER))["token"] != first["token"]
    assert (await ask(pull, AUTH))["token"] != first["token"]  # another account
    clock.advance(11)  # less than 90% of its lifetime left: a new one
    fresh = await ask(pull, READER)
    assert fresh["token"] != first["token"]
    assert fresh["expires_in"] == 300
