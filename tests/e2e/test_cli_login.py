"""``cargohold login``, ``logout`` and ``whoami``, and which credentials a command uses."""

from __future__ import annotations

import json
import socket
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.cli import Cli, column
from tests.servers import ADMIN_PASSWORD, CargoholdServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(server: CargoholdServer, tmp_path: Path) -> Cli:
    return Cli.fresh(server, tmp_path)


def login(cli: Cli, user: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    anonymous = cli.as_user(None)
    return anonymous.ok("login", cli.server.url, "-u", user, "--password-stdin", stdin=password)


def stored(cli: Cli) -> dict[str, str]:
    doc: dict[str, str] = json.loads(cli.login_file.read_text())
    return doc


def me_with(server: CargoholdServer, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.url}/api/v1/me", headers=headers)


def test_login_stores_a_private_token_that_later_commands_use(cli: Cli) -> None:
    assert login(cli) == f"Logged in to {cli.server.url} as admin\n"

    assert stat.S_IMODE(cli.login_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.login_file.parent.stat().st_mode) == 0o700
    saved = stored(cli)
    assert saved["url"] == cli.server.url
    assert saved["username"] == "admin"
    assert saved["token"].startswith(f"chk_{saved['token_id']}_")
    assert ADMIN_PASSWORD not in cli.login_file.read_text()

    anonymous = cli.as_user(None)  # no credentials and no URL: only the stored login
    me = anonymous.json("whoami")
    assert me["name"] == "admin"
    assert me["token"]["id"] == saved["token_id"]
    assert {"dev", "prod", "staging"} <= set(column(anonymous.ok("repo", "list")))
    assert "signed in with:  API token " + saved["token_id"] in anonymous.ok("whoami")

    token = next(t for t in anonymous.json("token", "list") if t["id"] == saved["token_id"])
    assert token["kind"] == "cli"
    assert token["description"] == f"cargohold CLI on {socket.gethostname()}"
    expires = datetime.fromisoformat(token["expires"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)


def test_login_prompts_for_what_it_is_not_given(cli: Cli) -> None:
    anonymous = cli.as_user(None)
    result = anonymous.run("login", cli.server.url, stdin=f"admin\n{ADMIN_PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"Logged in to {cli.server.url} as admin\n")
    assert ADMIN_PASSWORD not in result.stdout + result.stderr
    assert stored(cli)["username"] == "admin"


def test_logout_revokes_the_token(cli: Cli) -> None:
    login(cli)
    token = stored(cli)["token"]
    assert me_with(cli.server, token).status_code == 200

    anonymous = cli.as_user(None)
    assert anonymous.ok("logout") == f"Logged out of {cli.server.url}\n"
    assert not cli.login_file.exists()
    assert me_with(cli.server, token).status_code == 401

    assert "Not logged in" in anonymous.run("logout").stderr
    assert "authentication required" in anonymous.fails("whoami", "--url", cli.server.url)


def test_a_second_login_revokes_the_first_token(cli: Cli) -> None:
    login(cli)
    first = stored(cli)["token"]
    login(cli)
    assert stored(cli)["token"] != first
    assert me_with(cli.server, first).status_code == 401


def test_a_stored_login_revoked_elsewhere_says_to_log_in_again(cli: Cli) -> None:
    login(cli)
    cli.ok("token", "revoke", stored(cli)["token_id"])
    message = cli.as_user(None).fails("repo", "create", "never")
    assert "revoked" in message
    assert f"run `cargohold login {cli.server.url}`" in message


def test_login_with_a_wrong_password_stores_nothing(cli: Cli) -> None:
    anonymous = cli.as_user(None)
    message = anonymous.fails(
        "login", cli.server.url, "--username", "admin", "--password-stdin", stdin="wrong\n"
    )
    assert "wrong user name or password" in message
    assert not cli.login_file.exists()


def test_the_environment_beats_the_stored_login(cli: Cli) -> None:
    reader_password = "reader-password"
    cli.ok("user", "create", "reader", "--password-stdin", stdin=reader_password)
    login(cli, "reader", reader_password)
    anonymous = cli.as_user(None)
    assert anonymous.json("whoami")["name"] == "reader"
    assert cli.json("whoami")["name"] == "admin"  # CARGOHOLD_USER and CARGOHOLD_PASSWORD

    secret = cli.ok("token", "create", "--description", "env token").strip()
    by_token = anonymous.run("whoami", "--json", env={"CARGOHOLD_TOKEN": secret})
    assert by_token.returncode == 0, by_token.stderr
    assert json.loads(by_token.stdout)["name"] == "admin"
    assert json.loads(by_token.stdout)["token"]["id"] == secret.split("_")[1]
    cli.ok("user", "delete", "reader")
