"""``cargohold user``, ``group`` and ``perm`` against the real server: what an administrator
types, and what the users it manages can then do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import Cli, column, table
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(server: CargoholdServer, tmp_path: Path) -> Cli:
    return Cli.fresh(server, tmp_path)


def test_user_create_show_update_delete(cli: Cli) -> None:
    created = cli.ok(
        "user",
        "create",
        "alice",
        "--password-stdin",
        "--email",
        "a@example.org",
        stdin="pw-one-1\n",
    )
    assert created == "created user 'alice'\n"
    row = next(r for r in table(cli.ok("user", "list")) if r[0] == "alice")
    assert row[:5] == ["alice", "no", "no", "a@example.org", "-"]
    shown = cli.json("user", "show", "alice")
    assert (shown["name"], shown["admin"], shown["email"]) == ("alice", False, "a@example.org")
    assert "email:           a@example.org" in cli.ok("user", "show", "alice")

    alice = cli.as_user("alice", "pw-one-1")
    assert alice.json("whoami")["name"] == "alice"
    assert "administrator" in alice.fails("user", "list")

    assert cli.json("user", "update", "alice", "--admin")["admin"] is True
    assert {u["name"] for u in alice.json("user", "list")} >= {"admin", "alice"}
    cli.ok("user", "update", "alice", "--no-admin", "--password-stdin", stdin="pw-two-2")
    assert "wrong user name or password" in alice.fails("whoami")
    assert cli.as_user("alice", "pw-two-2").json("whoami")["admin"] is False

    assert cli.ok("user", "delete", "alice") == "deleted user 'alice'\n"
    assert "alice" not in column(cli.ok("user", "list"))
    assert "does not exist" in cli.fails("user", "show", "alice")


def test_user_create_asks_for_the_password_twice(cli: Cli) -> None:
    result = cli.run("user", "create", "bob", stdin="pw-bob-12\npw-bob-12\n")
    assert result.returncode == 0, result.stderr
    assert "pw-bob-12" not in result.stdout + result.stderr
    assert cli.as_user("bob", "pw-bob-12").json("whoami")["name"] == "bob"

    mismatch = cli.run("user", "create", "bob2", stdin="pw-bob-12\nother-pw\n")
    assert mismatch.returncode != 0
    assert "does not exist" in cli.fails("user", "show", "bob2")
    cli.ok("user", "delete", "bob")


def test_a_service_account_has_no_password(cli: Cli) -> None:
    assert cli.ok("user", "create", "builder", "--service") == (
        "created service account 'builder'\n"
    )
    assert cli.json("user", "show", "builder")["service"] is True
    assert "no password" in cli.fails("user", "create", "b2", "--service", "--password-stdin")
    cli.ok("user", "delete", "builder")


def test_the_last_admin_cannot_be_deleted(cli: Cli) -> None:
    assert "last administrator" in cli.fails("user", "delete", "admin")
    assert cli.json("user", "show", "admin")["admin"] is True


def test_group_create_update_delete(cli: Cli) -> None:
    for name in ("gina", "hugo"):
        cli.ok("user", "create", name, "--password-stdin", stdin=f"{name}-password")
    created = cli.json("group", "create", "devs", "--description", "developers", "--member", "gina")
    assert (created["name"], created["members"]) == ("devs", ["gina"])
    assert cli.json("user", "show", "gina")["groups"] == ["devs"]

    updated = cli.ok("group", "update", "devs", "--add", "hugo", "--remove", "gina")
    assert updated == "updated group 'devs'; members: hugo\n"
    assert table(cli.ok("group", "list"))[0][:3] == ["devs", "hugo", "developers"]
    assert cli.json("group", "update", "devs", "--description", "the devs")["description"] == (
        "the devs"
    )
    assert [g["name"] for g in cli.json("group", "list")] == ["devs"]
    assert "members:     hugo" in cli.ok("group", "show", "devs")

    assert cli.ok("group", "delete", "devs") == "deleted group 'devs'\n"
    assert cli.json("group", "list") == []
    assert "does not exist" in cli.fails("group", "show", "devs")
    for name in ("gina", "hugo"):
        cli.ok("user", "delete", name)


def test_perm_grant_lets_a_group_read_and_revoke_takes_it_back(cli: Cli) -> None:
    cli.ok("user", "create", "ivy", "--password-stdin", stdin="ivy-password")
    cli.ok("group", "create", "readers", "--member", "ivy")
    cli.ok("repo", "create", "team-red")
    ivy = cli.as_user("ivy", "ivy-password")
    assert ivy.json("repo", "list") == []

    granted = cli.run(
        "perm", "grant", "group:readers", "--repo", "dev", "--repo", "team-*", "--action", "read"
    )
    assert granted.returncode == 0, granted.stderr
    permission_id = granted.stdout.strip()
    assert "granted group:readers read on dev, team-*" in granted.stderr
    assert [r["key"] for r in ivy.json("repo", "list")] == ["dev", "team-red"]

    listed = cli.json("perm", "list", "--principal", "group:readers")
    assert [(p["id"], p["repositories"], p["actions"]) for p in listed] == [
        (permission_id, ["dev", "team-*"], ["read"])
    ]
    row = next(r for r in table(cli.ok("perm", "list")) if r[0] == permission_id)
    assert row[1:4] == ["group:readers", "dev, team-*", "read"]
    assert "principal:    group:readers" in cli.ok("perm", "show", permission_id)

    assert "does not hold" in ivy.fails(
        "token", "create", "--description", "x", "--scope", "dev:write"
    )
    scoped = ivy.json("token", "create", "--description", "pull", "--scope", "dev:read")
    assert scoped["scopes"] == [{"repository": "dev", "actions": ["read"]}]

    assert cli.ok("perm", "revoke", permission_id) == f"revoked permission {permission_id}\n"
    assert ivy.json("repo", "list") == []
    assert cli.json("perm", "list", "--principal", "group:readers") == []
    cli.ok("group", "delete", "readers")
    cli.ok("user", "delete", "ivy")
    cli.ok("repo", "delete", "team-red")


def test_a_bad_grant_is_refused_with_the_servers_reason(cli: Cli) -> None:
    message = cli.fails("perm", "grant", "user:admin", "--repo", "dev", "--action", "fly")
    assert "fly" in message
    assert cli.json("perm", "list", "--principal", "user:admin") == []
