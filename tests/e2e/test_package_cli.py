"""``cargohold package`` and the package settings of ``cargohold repo`` against a real server,
as a user types them: listing packages and versions, yanking, deleting, promoting, and the
messages of what is refused.

The versions are published in this process into the server's own stores (SQLite and the
blob directory of its data directory), as a second node would: the server sees them as it
sees anything another process commits, and these tests need no twine or npm (their own tests
publish through them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from cargohold.app import open_stores
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.e2e.cli import Cli, column, table
from tests.integration.packages import publish, registry_over
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e

WHEEL = "six-1.16.0-py2.py3-none-any.whl"
SDIST = "six-1.16.0.tar.gz"


async def _publish_all(registry: Registry) -> None:
    for key, format in (
        ("pypi-dev", "pypi"),
        ("pypi-prod", "pypi"),
        ("pypi-empty", "pypi"),
        ("npm-dev", "npm"),
        ("npm-prod", "npm"),
    ):
        await registry.repositories.create(key, format=format)
    await publish(registry, "pypi-dev", "six", "1.15.0", {"six-1.15.0.tar.gz": b"six 1.15"})
    await publish(registry, "pypi-dev", "six", "1.16.0", {WHEEL: b"six wheel", SDIST: b"sdist"})
    await publish(registry, "pypi-dev", "requests", "2.32.3", {"requests-2.32.3.tar.gz": b"r"})
    await publish(registry, "pypi-dev", "attrs", "23.1.0", {"attrs-23.1.0.tar.gz": b"a"})
    await publish(registry, "pypi-prod", "requests", "2.32.3", {"requests-2.32.3.tar.gz": b"R"})
    await publish(
        registry,
        "npm-dev",
        "@team/ui",
        "1.0.0",
        {"ui-1.0.0.tgz": b"ui 1"},
        tags={"latest": "1.0.0"},
    )
    await publish(
        registry, "npm-dev", "@team/ui", "1.1.0", {"ui-1.1.0.tgz": b"ui 2"}, tags={"next": "1.1.0"}
    )
    await registry.aclose()


@pytest.fixture(scope="module")
def published(server: CargoholdServer) -> Iterator[None]:
    """pypi-dev (six 1.15.0 and 1.16.0, requests, attrs), pypi-prod (requests 2.32.3 with
    other bytes), pypi-empty, npm-dev (@team/ui 1.0.0 latest, 1.1.0 next), npm-prod."""
    settings = Settings(data_dir=server.data_dir)
    store, meta = open_stores(settings, migrate=False)
    try:
        anyio.run(_publish_all, registry_over(store, meta, settings, time.time))
    finally:
        meta.close()
    yield


@pytest.fixture
def cli(server: CargoholdServer, published: None, tmp_path: Path) -> Cli:
    return Cli.fresh(server, tmp_path)


def fields(output: str) -> dict[str, str]:
    """What ``repo show`` prints: one ``name: value`` per line."""
    pairs = (line.partition(":") for line in output.splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, _, value in pairs}


def test_listing_packages_and_their_versions(cli: Cli) -> None:
    assert cli.ok("package", "ls", "pypi-dev") == "attrs\nrequests\nsix\n"
    assert cli.ok("package", "ls", "pypi-dev", "--limit", "1") == "attrs\n"
    assert cli.json("package", "ls", "npm-dev") == [{"name": "@team/ui"}]
    assert cli.ok("package", "ls", "pypi-empty") == "repository 'pypi-empty' holds no packages\n"
    assert "repository 'dev' holds docker, not packages" in cli.fails("package", "ls", "dev")
    assert "repository 'nosuch' does not exist" in cli.fails("package", "ls", "nosuch")

    shown = cli.ok("package", "versions", "pypi-dev", "Six")  # PyPI names are normalised
    assert shown.splitlines()[0].split() == [
        "VERSION",
        "CREATED",
        "BY",
        "TAGS",
        "YANKED",
        "FILES",
        "FILENAMES",
    ]
    rows = table(shown)
    assert column(shown) == ["1.15.0", "1.16.0"]
    assert rows[1][2:] == ["admin", "-", "-", "2 (14 B)", f"{WHEEL}, {SDIST}"]
    ui = cli.json("package", "versions", "npm-dev", "@team/ui")
    assert [(v["version"], v["tags"]) for v in ui["versions"]] == [
        ("1.0.0", ["latest"]),
        ("1.1.0", ["next"]),
    ]
    missing = cli.fails("package", "versions", "pypi-dev", "nosuch")
    assert "no package nosuch in repository 'pypi-dev'" in missing


def test_yanking_and_unyanking_a_version(cli: Cli) -> None:
    yanked = cli.ok("package", "yank", "npm-dev", "@team/ui", "1.0.0", "--reason", "use 1.1")
    assert yanked == "yanked @team/ui 1.0.0 in 'npm-dev': use 1.1\n"
    assert table(cli.ok("package", "versions", "npm-dev", "@team/ui"))[0][4] == "use 1.1"
    undone = cli.ok("package", "unyank", "npm-dev", "@team/ui", "1.0.0")
    assert undone == "@team/ui 1.0.0 in 'npm-dev' is no longer yanked\n"
    assert table(cli.ok("package", "versions", "npm-dev", "@team/ui"))[0][4] == "-"
    missing = cli.fails("package", "yank", "npm-dev", "@team/ui", "9.9.9")
    assert "no version 9.9.9 of package @team/ui in repository 'npm-dev'" in missing


def test_deleting_a_version_follows_the_repository_setting(cli: Cli) -> None:
    locked = fields(cli.ok("repo", "update", "pypi-dev", "--no-unpublish"))
    assert (locked["allow overwrite"], locked["allow unpublish"]) == ("no", "no")
    refused = cli.fails("package", "delete", "pypi-dev", "attrs", "23.1.0")
    assert "does not allow deleting package versions (setting allowUnpublish)" in refused
    assert "cargohold repo update pypi-dev --allow-unpublish" in refused
    assert column(cli.ok("package", "versions", "pypi-dev", "attrs")) == ["23.1.0"]

    cli.ok("repo", "update", "pypi-dev", "--allow-unpublish")
    deleted = cli.ok("package", "delete", "pypi-dev", "attrs", "23.1.0")
    assert deleted == "deleted attrs 23.1.0 from 'pypi-dev'\n"
    assert "no package attrs in repository 'pypi-dev'" in cli.fails(
        "package", "versions", "pypi-dev", "attrs"
    )


def test_promoting_a_version(cli: Cli) -> None:
    dry = cli.ok(
        "package", "promote", "pypi-dev", "six", "1.16.0", "--to", "pypi-prod", "--dry-run"
    )
    assert dry.splitlines()[0] == "six@1.16.0 would be copied to pypi-prod (dry run)"
    assert "no package six in repository 'pypi-prod'" in cli.fails(
        "package", "versions", "pypi-prod", "six"
    )
    copied = cli.ok(
        "package",
        "promote",
        "pypi-dev",
        "six",
        "1.16.0",
        "--to",
        "pypi-prod",
        "--property",
        "qa.status=passed",
        "--comment",
        "QA ok",
    )
    lines = copied.splitlines()
    assert lines[0] == "six@1.16.0 copied to pypi-prod"
    assert sorted(line.split()[0] for line in lines[1:]) == [WHEEL, SDIST]
    prod = cli.json("package", "versions", "pypi-prod", "six")
    assert prod["versions"][0]["properties"] == {"qa.status": ["passed"]}
    history = cli.json("promotions", "--repository", "pypi-prod")
    assert [(p["kind"], p["source"], p["result"], p["comment"]) for p in history] == [
        ("package", "six@1.16.0", "ok", "QA ok"),
        ("package", "six@1.16.0", "dry-run", ""),
    ]

    moved = cli.ok(
        "package", "promote", "npm-dev", "@team/ui", "1.1.0", "--to", "npm-prod", "--move"
    )
    assert moved.splitlines()[0] == "@team/ui@1.1.0 moved to npm-prod"
    assert column(cli.ok("package", "versions", "npm-dev", "@team/ui")) == ["1.0.0"]

    conflict = cli.fails(
        "package", "promote", "pypi-dev", "requests", "2.32.3", "--to", "pypi-prod"
    )
    assert "requests 2.32.3 is in repository 'pypi-prod' already, with other files" in conflict
    other_format = cli.fails("package", "promote", "pypi-dev", "six", "1.15.0", "--to", "npm-dev")
    assert "repository 'npm-dev' holds npm, not pypi packages" in other_format
    docker = cli.fails("package", "promote", "dev", "six", "1.15.0", "--to", "pypi-prod")
    assert "repository 'dev' holds docker, not packages" in docker
    assert "not KEY=VALUE" in cli.fails(
        "package", "promote", "pypi-dev", "six", "1.15.0", "--to", "pypi-prod", "--property", "x"
    )


def test_package_settings_of_repositories(cli: Cli) -> None:
    shown = fields(cli.ok("repo", "show", "pypi-prod"))
    assert (shown["format"], shown["allow overwrite"], shown["allow unpublish"]) == (
        "pypi",
        "no",
        "yes",
    )
    changed = cli.json("repo", "update", "pypi-prod", "--allow-overwrite")
    assert (changed["allowOverwrite"], changed["allowUnpublish"]) == (True, True)
    assert "allowOverwrite" not in cli.json("repo", "show", "dev")

    refused = cli.fails("repo", "update", "dev", "--allow-overwrite")
    assert "allowOverwrite is a setting of local pypi, npm, deb and maven repositories" in refused
    refused = cli.fails("repo", "update", "pypi-dev", "--trust-remote-names")
    assert "trustRemoteNames is a setting of virtual pypi and npm repositories" in refused
    refused = cli.fails("repo", "create", "docker-x", "--no-unpublish")
    assert "'docker-x' is a local docker repository" in refused
    misplaced = cli.fails(
        "repo", "create", "x", "--kind", "virtual", "--member", "pypi-dev", "--allow-overwrite"
    )
    assert "--allow-overwrite/--no-allow-overwrite: only with --kind local" in misplaced
    misplaced = cli.fails("repo", "create", "x", "--trust-remote-names")
    assert "only with --kind virtual" in misplaced


def test_creating_package_repositories(cli: Cli) -> None:
    created = cli.ok("repo", "create", "pypi-release", "--format", "pypi", "--no-unpublish")
    assert created == "created pypi repository 'pypi-release' (local)\n"
    shown = cli.json("repo", "show", "pypi-release")
    assert (shown["allowOverwrite"], shown["allowUnpublish"]) == (False, False)
    assert (
        cli.ok("package", "ls", "pypi-release") == "repository 'pypi-release' holds no packages\n"
    )
    missing = cli.fails("package", "versions", "pypi-release", "six")
    assert "no package six in repository 'pypi-release'" in missing
    refused = cli.fails("package", "promote", "pypi-release", "six", "1.0", "--to", "pypi-dev")
    assert "no version 1.0 of package six in repository 'pypi-release'" in refused


def test_a_virtual_package_repository_trusting_remote_names(cli: Cli) -> None:
    virtual = cli.json(
        "repo",
        "create",
        "pypi-all",
        "--format",
        "pypi",
        "--kind",
        "virtual",
        "--member",
        "pypi-prod",
        "--trust-remote-names",
    )
    assert virtual["trustRemoteNames"] is True
    assert fields(cli.ok("repo", "show", "pypi-all"))["trust remote names"] == "yes"
    kept = cli.json("repo", "update", "pypi-all", "--member", "pypi-prod", "--member", "pypi-dev")
    assert kept["trustRemoteNames"] is True
    guarded = cli.json("repo", "update", "pypi-all", "--no-trust-remote-names")
    assert guarded["trustRemoteNames"] is False
