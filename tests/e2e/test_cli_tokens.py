"""``cargohold token`` and ``cargohold audit`` against the real server: a token made on the
command line works where docker sends it (Basic to /v2), and the audit log shows who did what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.cli import Cli, column, table
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(server: CargoholdServer, tmp_path: Path) -> Cli:
    return Cli.fresh(server, tmp_path)


def registry_status(server: CargoholdServer, user: str, secret: str) -> int:
    """What ``docker login`` would meet: /v2/ with the token as a Basic password."""
    return httpx.get(f"{server.url}/v2/", auth=(user, secret)).status_code


def test_a_token_for_a_service_account_works_as_a_docker_password(cli: Cli) -> None:
    cli.ok("user", "create", "deployer", "--service")
    grant = ["perm", "grant", "user:deployer", "--repo", "dev", "--action", "read,write"]
    permission_id = cli.ok(*grant).strip()
    created = cli.run(
        "token",
        "create",
        "--owner",
        "deployer",
        "--description",
        "CI pushes",
        "--scope",
        "dev:read,write",
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert created.stdout == f"{secret}\n"
    assert secret.startswith("chk_")
    assert "shown only once" in created.stderr
    assert secret not in created.stderr
    assert registry_status(cli.server, "deployer", secret) == 200

    listed = cli.json("token", "list", "--owner", "deployer")
    assert len(listed) == 1
    token_id = listed[0]["id"]
    assert secret.startswith(f"chk_{token_id}_")
    assert "token" not in listed[0]
    assert listed[0]["scopes"] == [{"repository": "dev", "actions": ["read", "write"]}]
    assert listed[0]["expires"] is None
    row = table(cli.ok("token", "list", "--owner", "deployer"))[0]
    assert row[:5] == [token_id, "deployer", "api", "CI pushes", "dev:read,write"]
    assert row[-1] == "never"
    assert cli.json("token", "show", token_id)["description"] == "CI pushes"

    assert cli.ok("token", "revoke", token_id) == f"revoked token {token_id}\n"
    assert registry_status(cli.server, "deployer", secret) == 401
    assert cli.json("token", "list", "--owner", "deployer") == []
    cli.ok("perm", "revoke", permission_id)
    cli.ok("user", "delete", "deployer")


def test_token_create_json_shows_the_secret_and_the_expiry(cli: Cli) -> None:
    made = cli.json("token", "create", "--description", "an hour", "--expires-in", "1h")
    assert made["token"].startswith(f"chk_{made['id']}_")
    assert (made["owner"], made["kind"], made["scopes"]) == ("admin", "api", None)
    expires = datetime.fromisoformat(made["expires"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=5)
    assert registry_status(cli.server, "admin", made["token"]) == 200
    cli.ok("token", "revoke", made["id"])


def test_a_token_cannot_reach_beyond_its_owner(cli: Cli) -> None:
    cli.ok("user", "create", "plain", "--password-stdin", stdin="plain-password")
    plain = cli.as_user("plain", "plain-password")
    message = plain.fails("token", "create", "--description", "x", "--scope", "prod:write")
    assert "'plain' does not hold 'write' on 'prod'" in message
    assert plain.json("token", "list") == []
    assert "administrator" in plain.fails("token", "list", "--owner", "admin")
    cli.ok("user", "delete", "plain")


def test_a_bad_scope_or_duration_is_a_usage_error(cli: Cli) -> None:
    assert "REPOSITORY:ACTIONS" in cli.fails(
        "token", "create", "--description", "x", "--scope", "dev"
    )
    assert "not a duration" in cli.fails(
        "token", "create", "--description", "x", "--expires-in", "soon"
    )


def test_audit_shows_who_did_what(cli: Cli) -> None:
    cli.ok("repo", "create", "audited")
    cli.ok("repo", "delete", "audited")
    cli.as_user("admin", "not-the-password").fails("whoami")

    created = cli.json("audit", "--action", "repository.create", "--limit", "1")
    assert [(e["target"], e["principal"], e["status"]) for e in created] == [
        ("repositories/audited", "admin", 201)
    ]
    deleted = cli.json("audit", "--repository", "audited")
    assert [(e["action"], e["result"]) for e in deleted][:1] == [("repository.delete", "ok")]

    failed = cli.json("audit", "--action", "login.failed", "--limit", "1")
    assert len(failed) == 1
    assert (failed[0]["principal"], failed[0]["result"]) == ("admin", "unauthorized")

    listed = cli.ok("audit", "--action", "repository.create", "--since", "1h", "--limit", "1")
    assert listed.splitlines()[0].split() == [
        "TIME",
        "PRINCIPAL",
        "ACTION",
        "TARGET",
        "RESULT",
        "STATUS",
        "CLIENT",
        "DETAIL",
    ]
    assert column(listed, 2) == ["repository.create"]
    assert column(listed, 3) == ["repositories/audited"]
    assert cli.json("audit", "--action", "repository.create", "--until", "2000-01-01") == []
    assert cli.json("audit", "--principal", "nobody-at-all") == []


def test_audit_is_for_administrators(cli: Cli) -> None:
    cli.ok("user", "create", "curious", "--password-stdin", stdin="curious-password")
    assert "administrator" in cli.as_user("curious", "curious-password").fails("audit")
    cli.ok("user", "delete", "curious")
