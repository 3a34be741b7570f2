"""The cargohold command against a running server, as a user types it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.servers import ADMIN_PASSWORD, CargoholdServer, cargohold_command

pytestmark = pytest.mark.e2e


def cli(
    server: CargoholdServer, *args: str, password: str | None = ADMIN_PASSWORD
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARGOHOLD_URL": server.url}
    env.pop("CARGOHOLD_PASSWORD", None)
    if password is not None:
        env["CARGOHOLD_PASSWORD"] = password
    return subprocess.run(
        [*cargohold_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_repo_list_create_delete(server: CargoholdServer) -> None:
    listed = cli(server, "repo", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == [
        "dev",
        "prod",
        "staging",
    ]

    created = cli(server, "repo", "create", "team-cli", "--no-anonymous-read")
    assert created.returncode == 0, created.stderr
    assert "team-cli" in cli(server, "repo", "list").stdout

    again = cli(server, "repo", "create", "team-cli")
    assert again.returncode != 0
    assert "already exists" in again.stderr

    deleted = cli(server, "repo", "delete", "team-cli")
    assert deleted.returncode == 0, deleted.stderr
    assert "team-cli" not in cli(server, "repo", "list").stdout


def test_wrong_password_is_reported(server: CargoholdServer) -> None:
    result = cli(server, "repo", "create", "nope", password="wrong")
    assert result.returncode != 0
    assert "wrong user name or password" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_server_is_reported(server: CargoholdServer) -> None:
    env_server = CargoholdServer(server.data_dir, port=1)
    result = cli(env_server, "repo", "list")
    assert result.returncode != 0
    assert "cannot reach cargohold" in result.stderr


def test_serve_reports_a_busy_port_and_a_bad_listen_address(
    server: CargoholdServer, tmp_path: Path
) -> None:
    busy = cli(server, "serve", "--listen", server.host, "--data-dir", str(tmp_path / "d"))
    assert busy.returncode == 1
    assert f"cannot listen on {server.host}" in busy.stderr
    assert "Traceback" not in busy.stderr
    bad = cli(server, "serve", "--listen", "nonsense", "--data-dir", str(tmp_path / "d"))
    assert bad.returncode == 2
    assert "listen must be HOST:PORT" in bad.stderr
