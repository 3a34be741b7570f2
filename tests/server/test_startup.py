"""An app whose lifespan startup fails is never served: the worker exits, and when every
new one fails the same way the server stops with the app's reason in its log."""

from __future__ import annotations

import contextlib
from pathlib import Path

from tests.server.conftest import ToyServer
from tests.wire import request


def test_a_failed_lifespan_startup_stops_the_server(tmp_path: Path) -> None:
    server = ToyServer(tmp_path, "--fail-startup").start()
    try:
        wire = server.connect(timeout=30)
        wire.send(request("GET", "/hello"))  # waits in the backlog; no worker takes it
        assert server.wait(timeout=30) == 1
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            answer = wire.sock.recv(100)
        assert answer == b""
    finally:
        server.stop()
    log = server.log()
    assert "cannot start: no database" in log
    assert "workers keep failing at start" in log
