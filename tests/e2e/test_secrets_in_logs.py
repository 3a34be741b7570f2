"""No password, no token secret and no signing key ever reaches the server's log, at debug
level either, access log included: a whole day of logins (right and wrong, with passwords,
API tokens, refresh tokens and registry tokens, through docker, skopeo and plain HTTP, some
in a query string), token creation, a signing key rotation and pushes, then the complete
log is searched. (dockerd's own log is docker's business, not ours.)"""

from __future__ import annotations

import base64
import json
import re
import secrets
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.e2e.clients import Skopeo
from tests.images import make_image, write_docker_archive, write_oci_layout
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

pytestmark = pytest.mark.e2e

JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
API_TOKEN = re.compile(r"chk_[0-9a-f]{16}_[\w-]+")


def basic(user: str, secret: str) -> str:
    return base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_no_secret_reaches_the_log(dockerd: Dockerd, tmp_path: Path) -> None:
    server = CargoholdServer(tmp_path / "data", env={"CARGOHOLD_LOG_LEVEL": "debug"}).start()
    try:
        secrets_seen = run_a_day_of_logins(server, dockerd, tmp_path)
    finally:
        assert server.stop() == 0
    log = server.log()
    with sqlite3.connect(tmp_path / "data" / "cargohold.db") as database:
        keys = [row[0] for row in database.execute("SELECT private_key FROM token_keys")]

    assert "cargohold listening on" in log  # the whole log, from the start
    assert " DEBUG [" in log  # at debug level
    # the access log: who did what, secrets in a query string redacted
    assert '127.0.0.1 alice "GET /v2/dev/secrets/app/tags/list" 200 ' in log
    assert '127.0.0.1 alice "PUT /v2/dev/secrets/app/manifests/2" 201 ' in log
    assert '127.0.0.1 ci-bot "GET /v2/dev/secrets/app/manifests/2" 200 ' in log
    assert '"GET /v2/?password=[REDACTED]&token=[REDACTED]&n=1" 401 ' in log
    for kind, secret in secrets_seen:
        assert len(secret) >= 16, kind
        assert secret not in log, f"a {kind} is in the server log"
    assert JWT.findall(log) == []
    assert API_TOKEN.findall(log) == []
    assert len(keys) == 2 and "PRIVATE KEY" not in log
    for pem in keys:
        assert not [line for line in pem.splitlines()[1:-1] if line in log], "a signing key"


def run_a_day_of_logins(
    server: CargoholdServer, dockerd: Dockerd, tmp_path: Path
) -> list[tuple[str, str]]:
    """Everything a day brings; returns every secret it used, as (kind, secret)."""
    seen: list[tuple[str, str]] = [("password", ADMIN_PASSWORD)]
    seen.append(("Basic credential", basic(ADMIN_USER, ADMIN_PASSWORD)))
    password = secrets.token_urlsafe(24)
    wrong = [secrets.token_urlsafe(24) for _ in range(4)]
    seen += [("password", password)] + [("wrong password", w) for w in wrong]
    seen.append(("Basic credential", basic("alice", password)))
    url = server.url
    admin = server.admin

    admin.create_user("alice", password)
    admin.grant("user:alice", ["dev"], ["read", "write"])
    admin.create_user("ci-bot", service=True)
    admin.grant("user:ci-bot", ["dev"], ["read", "write"])
    ci_token = admin.create_token("CI", {"dev": ["read", "write"]}, owner="ci-bot")
    alice_token = server.rest_as("alice", password).create_token("laptop", {"dev": ["read"]})
    seen += [("API token", ci_token), ("API token", alice_token)]
    seen.append(("Basic credential", basic("ci-bot", ci_token)))

    # plain HTTP: the token service with every grant, wrong passwords, unknown tokens
    scope = "repository:dev/secrets/app:pull,push"
    params = {"service": "cargohold", "scope": scope}
    assert httpx.get(f"{url}/v2/token", params=params, auth=("alice", wrong[0])).status_code == 401
    offline = httpx.get(
        f"{url}/v2/token", params={**params, "offline_token": "true"}, auth=("alice", password)
    ).json()
    by_password = httpx.post(
        f"{url}/v2/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": password,
            "access_type": "offline",
            "scope": scope,
            "service": "cargohold",
        },
    ).json()
    by_refresh = httpx.post(
        f"{url}/v2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": offline["refresh_token"],
            "scope": scope,
        },
    ).json()
    refused = httpx.post(
        f"{url}/v2/token",
        data={"grant_type": "password", "username": "alice", "password": wrong[1]},
    )
    assert refused.status_code == 401
    for answer in (offline, by_password, by_refresh):
        seen.append(("registry token", answer["token"]))
    seen += [
        ("refresh token", offline["refresh_token"]),
        ("refresh token", by_password["refresh_token"]),
    ]
    bearer = {"Authorization": f"Bearer {offline['token']}"}
    assert httpx.get(f"{url}/v2/dev/secrets/app/tags/list", headers=bearer).status_code == 200
    me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {alice_token}"})
    assert me.json()["name"] == "alice"
    assert httpx.get(f"{url}/v2/", auth=("alice", alice_token)).status_code == 200
    unknown = "chk_0123456789abcdef_" + secrets.token_urlsafe(32)
    seen.append(("unknown API token", unknown))
    assert httpx.get(f"{url}/v2/", auth=("alice", unknown)).status_code == 401
    in_query = {"password": password, "token": alice_token, "n": "1"}
    assert httpx.get(f"{url}/v2/", params=in_query).status_code == 401
    # The signature of a token for other access (the same access may get the same token).
    other = httpx.get(
        f"{url}/v2/token",
        params={"service": "cargohold", "scope": "repository:dev/secrets/other:pull"},
        auth=("alice", password),
    ).json()["token"]
    seen.append(("registry token", other))
    forged = offline["token"].rpartition(".")[0] + "." + other.rpartition(".")[2]
    assert forged != offline["token"]
    seen.append(("forged registry token", forged))
    forged_answer = httpx.get(f"{url}/v2/", headers={"Authorization": f"Bearer {forged}"})
    assert forged_answer.status_code == 401
    rotated = httpx.post(
        f"{url}/api/v1/system/token-keys/rotate", auth=(ADMIN_USER, ADMIN_PASSWORD)
    )
    assert rotated.status_code == 200

    # docker: a wrong password, a password login (docker keeps a refresh token), a token login
    config = tmp_path / "docker-config"
    login = ["login", "--username", "alice", "--password-stdin", server.host]
    assert dockerd.docker(*login, stdin=wrong[2], check=False, config=config).returncode != 0
    dockerd.docker(*login, stdin=password, config=config)
    stored = json.loads((config / "config.json").read_text())["auths"][server.host]
    seen.append(("docker refresh token", stored["identitytoken"]))
    image = make_image([{"secret": b"pushed while the log listens"}], label="secrets")
    archive = write_docker_archive(tmp_path / "image.tar", image, "local/secrets:1")
    dockerd.docker("load", "--input", str(archive), config=config)
    dockerd.docker("tag", "local/secrets:1", f"{server.host}/dev/secrets/app:1", config=config)
    dockerd.docker("push", f"{server.host}/dev/secrets/app:1", config=config)
    ci_login = ["login", "--username", "ci-bot", "--password-stdin", server.host]
    dockerd.docker(*ci_login, stdin=ci_token, config=tmp_path / "ci-docker-config")

    # skopeo: a password, an API token, a wrong password and a registry token alone
    skopeo = Skopeo(tmp_path / "skopeo-home")
    layout = write_oci_layout(tmp_path / "layout", {"2": image})
    reference = f"docker://{server.host}/dev/secrets/app:2"
    skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        f"alice:{password}",
        f"oci:{layout}:2",
        reference,
    )
    skopeo("inspect", "--tls-verify=false", "--creds", f"ci-bot:{ci_token}", reference)
    bad = skopeo(
        "inspect", "--tls-verify=false", "--creds", f"alice:{wrong[3]}", reference, check=False
    )
    assert bad.returncode != 0
    skopeo(
        "inspect",
        "--tls-verify=false",
        "--registry-token",
        by_refresh["token"],
        f"docker://{server.host}/dev/secrets/app:1",
    )
    return seen
