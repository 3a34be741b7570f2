"""The cargohold command against a running server, as a user types it: repositories, errors,
``serve``. ``Cli`` (used by every ``test_cli_*.py``) runs the command as a subprocess with its
own HOME, so no test reads or writes the real user's login."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import Cli, column, table
from tests.images import make_image
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(server: CargoholdServer, tmp_path: Path) -> Cli:
    return Cli.fresh(server, tmp_path)


def test_repo_list_create_delete(cli: Cli) -> None:
    listed = cli.ok("repo", "list")
    assert listed.splitlines()[0].split() == [
        "KEY",
        "FORMAT",
        "KIND",
        "SIZE",
        "QUOTA",
        "ANONYMOUS-READ",
        "IMMUTABLE-TAGS",
        "DESCRIPTION",
    ]
    assert column(listed) == ["dev", "prod", "staging"]
    assert ["prod", "docker", "local", "0 B", "none", "no", "yes"] in table(listed)

    created = cli.ok("repo", "create", "team-cli", "--no-anonymous-read", "--description", "ci")
    assert created == "created docker repository 'team-cli' (local)\n"
    assert ["team-cli", "docker", "local", "0 B", "none", "no", "no", "ci"] in table(
        cli.ok("repo", "list")
    )
    locked = cli.ok("repo", "update", "team-cli", "--immutable-tags", "--json")
    assert '"immutableTags": true' in locked

    assert "already exists" in cli.fails("repo", "create", "team-cli")

    assert cli.ok("repo", "delete", "team-cli") == "deleted repository 'team-cli'\n"
    assert "team-cli" not in cli.ok("repo", "list")
    assert "does not exist" in cli.fails("repo", "show", "team-cli")


def test_repo_update_opens_a_repository_to_anonymous_readers(cli: Cli) -> None:
    anonymous = cli.as_user(None)

    def anonymously_listed() -> list[str]:
        return [r["key"] for r in anonymous.json("repo", "list", "--url", cli.server.url)]

    cli.ok("repo", "create", "open-later")
    assert "open-later" not in anonymously_listed()

    shown = cli.ok("repo", "update", "open-later", "--anonymous-read", "--description", "docs")
    assert "anonymous read: yes" in shown
    assert anonymous.json("repo", "show", "open-later", "--url", cli.server.url) == {
        "key": "open-later",
        "format": "docker",
        "kind": "local",
        "anonymousRead": True,
        "immutableTags": False,
        "description": "docs",
        "quotaBytes": None,
        "usedBytes": 0,
    }
    assert "open-later" in anonymously_listed()

    cli.ok("repo", "update", "open-later", "--no-anonymous-read")
    assert cli.json("repo", "show", "open-later")["anonymousRead"] is False
    assert "open-later" not in anonymously_listed()
    assert "nothing to change" in cli.fails("repo", "update", "open-later")
    cli.ok("repo", "delete", "open-later")


def test_wrong_password_is_reported(cli: Cli) -> None:
    message = cli.as_user(ADMIN_USER, "wrong").fails("repo", "create", "nope")
    assert "wrong user name or password" in message


def test_the_old_style_password_option_still_works(cli: Cli) -> None:
    """``--password`` alone on the group, as the first CLI took it: the user is admin."""
    old = cli.as_user(None)
    url = cli.server.url
    listed = old.ok("repo", "--url", url, "--password", ADMIN_PASSWORD, "list")
    assert {"dev", "prod", "staging"} <= set(column(listed))


def test_unreachable_server_is_reported(server: CargoholdServer, tmp_path: Path) -> None:
    nowhere = Cli(CargoholdServer(server.data_dir, port=1), tmp_path)
    assert "cannot reach cargohold at http://127.0.0.1:1" in nowhere.fails("repo", "list")


def test_serve_reports_a_busy_port_and_a_bad_listen_address(cli: Cli, tmp_path: Path) -> None:
    host = cli.server.host
    busy = cli.run("serve", "--listen", host, "--data-dir", str(tmp_path / "d"))
    assert busy.returncode == 1
    assert f"cannot listen on {host}" in busy.stderr
    bad = cli.run("serve", "--listen", "nonsense", "--data-dir", str(tmp_path / "d"))
    assert bad.returncode == 2
    assert "listen must be HOST:PORT" in bad.stderr


def test_safe_repo_delete_and_image_delete(cli: Cli, server: CargoholdServer) -> None:
    """A repository that holds images goes only with --force, one with immutable tags also
    with --confirm KEY; an image's tag or manifest goes saying what went and what stays."""
    cli.ok("repo", "create", "vault", "--immutable-tags")
    cli.ok("repo", "create", "scratch")
    image = make_image([{"a": b"cli deletes"}])
    for name, tag in [("vault/app", "1.0"), ("scratch/app", "1.0"), ("scratch/app", "latest")]:
        server.push(name, tag, image)

    refused = cli.fails("repo", "delete", "vault")
    assert "holds 1 tag, 1 manifest, 0 files" in refused
    assert "cargohold repo delete vault --force --confirm vault" in refused
    assert cli.ok("repo", "delete", "vault", "--force", "--confirm", "vault") == (
        "deleted repository 'vault' with 1 tag, 1 manifest, 0 files\n"
    )
    [record] = cli.json("audit", "--repository", "vault", "--action", "repository.delete")[:1]
    assert record["detail"] == "removed 1 tag, 1 manifest, 0 files"

    digest = image.digest
    assert cli.ok("image", "delete", "scratch/app:1.0") == (
        f"deleted tag scratch/app:1.0; manifest {digest}: it stays, still tagged latest\n"
    )
    assert cli.ok("image", "delete", "scratch/app:latest") == (
        f"deleted tag scratch/app:latest; manifest {digest}: it stays, untagged: delete it "
        f"with `cargohold image delete scratch/app@{digest}`\n"
    )
    assert "names no tag or digest" in cli.fails("image", "delete", "scratch/app")
    assert cli.json("image", "delete", f"scratch/app@{digest}") == {
        "name": "scratch/app",
        "digest": digest,
        "tagsRemoved": [],
        "manifestRemoved": True,
        "remainingTags": [],
    }
    assert cli.ok("repo", "delete", "scratch") == "deleted repository 'scratch'\n"


def test_repo_create_show_and_update_remote_and_virtual_repositories(cli: Cli) -> None:
    created = cli.ok(
        *("repo", "create", "hub", "--kind", "remote"),
        *("--upstream", "https://registry-1.docker.io", "--username", "puller"),
        *("--password-stdin", "--revalidate-seconds", "600"),
        stdin="upstream-s3cret\n",
    )
    assert created == "created docker repository 'hub' (remote: https://registry-1.docker.io)\n"
    shown = cli.ok("repo", "show", "hub")
    for line in [
        "upstream:       https://registry-1.docker.io",
        "username:       puller",
        "password:       set",
        "verify TLS:     yes",
        "revalidate:     600 s",
        "timeout:        30 s",
        "offline:        no",
    ]:
        assert line in shown.splitlines(), shown
    updated = cli.ok("repo", "update", "hub", "--offline", "--revalidate-seconds", "60")
    assert "offline:        yes" in updated.splitlines()
    assert "password:       set" in updated.splitlines()  # kept: same upstream and username
    moved = cli.fails("repo", "update", "hub", "--upstream", "https://mirror.example.com")
    assert "give the upstream password again (or remove the credentials)" in moved
    assert "only with --kind remote" in cli.fails("repo", "create", "x", "--upstream", "https://r")

    virtual = cli.ok(
        *("repo", "create", "all", "--kind", "virtual", "--member", "dev", "--member", "hub"),
        *("--default-deploy", "dev"),
    )
    assert virtual == "created docker repository 'all' (virtual: dev, hub)\n"
    listed = {row[0]: row for row in table(cli.ok("repo", "list"))}
    assert listed["hub"][:3] == ["hub", "docker", "remote: https://registry-1.docker.io (offline)"]
    assert listed["all"][:4] == ["all", "docker", "virtual: dev, hub", "0 B"]
    changed = cli.ok(
        *("repo", "update", "all", "--member", "hub", "--member", "dev", "--no-default-deploy")
    )
    assert "members:        hub, dev" in changed.splitlines()
    assert "default deploy: none (pushes refused)" in changed.splitlines()
    assert "upstream-s3cret" not in cli.ok("repo", "list", "--json")
    cli.ok("repo", "delete", "all")
    cli.ok("repo", "delete", "hub")
