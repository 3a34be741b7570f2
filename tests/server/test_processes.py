"""No worker outlives its server process: killed with SIGKILL, so that it can neither stop
its workers nor be told, the parent leaves no orphan serving on its port."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.server.conftest import ToyServer
from tests.servers import child_pids
from tests.wire import request


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie serves nothing (some container inits do not reap)


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    server = ToyServer(tmp_path).start()
    try:
        wire = server.connect()
        wire.send(request("GET", "/hello"))
        assert wire.response()[0] == 200  # a worker serves
        assert server._process is not None
        parent = server._process.pid
        workers = child_pids(parent)
        assert len(workers) == 1
        os.kill(parent, signal.SIGKILL)
        assert server.wait(timeout=10) == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its parent"
            time.sleep(0.05)
    finally:
        server.stop()
