"""The README's first command on a new data directory, as a new user runs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOHOLD_")}
    return subprocess.Popen(
        [
            str(ROOT / "scripts" / "serve"),
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def read_banner(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("REST API:"):
            return "".join(lines)
    raise AssertionError("no banner:\n" + "".join(lines))


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server not ready")


def test_first_start_creates_defaults_and_a_password(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(tmp_path / "data", port)
    try:
        banner = read_banner(process)
        match = re.search(r"user 'admin', password '([^']+)'", banner)
        assert match, banner
        assert "created repositories: dev, staging, prod" in banner
        wait_ready(url)
        admin = ("admin", match.group(1))
        assert httpx.get(f"{url}/v2/", auth=admin).status_code == 200
        listed = httpx.get(f"{url}/api/v1/repositories", auth=admin).json()["items"]
        assert [(r["key"], r["anonymousRead"]) for r in listed] == [
            ("dev", False),
            ("prod", False),
            ("staging", False),
        ]
        # private by default: nothing is listed or served to anyone who has not logged in
        assert httpx.get(f"{url}/api/v1/repositories").json()["items"] == []
        anonymous = httpx.get(f"{url}/v2/")
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith(
            f'Bearer realm="{url}/v2/token",service="cargohold"'
        )
    finally:
        assert stop(process) == 0

    again = start(tmp_path / "data", port)
    try:
        banner = read_banner(again)
        assert "password" not in banner
        assert "created repositories" not in banner
        wait_ready(url)
        assert httpx.get(f"{url}/v2/", auth=("admin", match.group(1))).status_code == 200
    finally:
        assert stop(again) == 0
