"""The server's processes under signals, as an operator's tools send them: SIGHUP reloads
(here: the log format, read again from the config file) and kills nothing, a worker killed
by the OOM killer is replaced and its death logged, SIGTERM lets the request in flight
finish and says so."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, child_pids, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "cargohold.toml"
    path.write_text('log_format = "text"\n')
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, config: Path) -> Iterator[CargoholdServer]:
    """A server of this module's own: the last test stops it."""
    data = tmp_path_factory.mktemp("signals") / "data"
    server = CargoholdServer(data, env={"CARGOHOLD_CONFIG": str(config)}).start()
    yield server
    server.stop()


def parent_of(server: CargoholdServer) -> int:
    assert server.process is not None and server.process.poll() is None
    return server.process.pid


def test_sighup_reloads_the_log_format_and_kills_nothing(
    served: CargoholdServer, config: Path
) -> None:
    parent = parent_of(served)
    workers = child_pids(parent)
    assert len(workers) == 2
    config.write_text('log_format = "json"\n')
    os.kill(parent, signal.SIGHUP)
    wait_for(lambda: "SIGHUP: reloading" in served.log(), "the SIGHUP was not logged")

    def json_access_line() -> dict[str, object] | None:
        httpx.get(f"{served.url}/api/v1/health?probe=json&password=hunter2hunter2")
        for line in served.log().splitlines():
            if line.startswith("{") and "probe=json" in line:
                return dict(json.loads(line))
        return None

    wait_for(json_access_line, "no access line in JSON after the SIGHUP")
    line = json_access_line()
    assert line is not None
    assert set(line) >= {"time", "level", "pid", "logger", "message", "client", "principal"}
    assert line["logger"] == "cargohold.access"
    assert (line["method"], line["status"], line["principal"]) == ("GET", 200, "-")
    assert line["path"] == "/api/v1/health?probe=json&password=[REDACTED]"
    assert isinstance(line["duration_ms"], float) and isinstance(line["bytes"], int)
    assert str(line["time"]).endswith("Z")
    assert "hunter2hunter2" not in served.log()
    assert served.process is not None and served.process.poll() is None
    assert child_pids(parent) == workers  # the same workers, reloaded, not replaced


def test_a_killed_worker_is_replaced_and_its_death_logged(served: CargoholdServer) -> None:
    parent = parent_of(served)
    workers = child_pids(parent)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(child_pids(parent) - workers) == 1, "no worker replaced the killed one")
    assert f"worker {victim} was killed by SIGKILL; starting another" in served.log()
    assert httpx.get(f"{served.url}/api/v1/health").status_code == 200


def test_sigterm_lets_the_request_in_flight_finish(served: CargoholdServer) -> None:
    parent = parent_of(served)
    body = os.urandom(64 * 1024)
    target = f"/v2/dev/drain/app/blobs/uploads/?digest={sha256(body)}"
    basic = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as wire:
        wire.sendall(f"GET /api/v1/health HTTP/1.1\r\nHost: {served.host}\r\n\r\n".encode())
        assert wire.recv(65536).startswith(b"HTTP/1.1 200 ")  # a worker holds the connection
        wire.sendall(
            f"POST {target} HTTP/1.1\r\nHost: {served.host}\r\n"
            f"Authorization: Basic {basic}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:1000]
        )
        time.sleep(0.3)  # the worker reads the head: the request is in flight
        os.kill(parent, signal.SIGTERM)
        wait_for(lambda: "1 requests in flight" in served.log(), "the stop was not logged")
        wire.sendall(body[1000:])
        answer = wire.recv(65536)
    assert answer.startswith(b"HTTP/1.1 201 "), answer
    assert served.process is not None
    assert served.process.wait(timeout=30) == 0
    log = served.log()
    assert "shutting down on SIGTERM: stopping 2 workers" in log
    assert "1 requests finished while draining, 0 cut off" in log
    assert json.loads(log.splitlines()[-1])["message"] == "stopped"  # JSON since the SIGHUP
