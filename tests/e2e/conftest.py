from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import CargoholdServer, Dockerd


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    """A real cargohold process on a loopback port with a fresh data directory."""
    running = CargoholdServer(tmp_path_factory.mktemp("cargohold") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dockerd]:
    """dockerd from Debian's docker.io, on a private socket and data root (vfs)."""
    root = Path(tmp_path_factory.mktemp("dockerd"))
    daemon = Dockerd(root).start()
    yield daemon
    daemon.stop()
