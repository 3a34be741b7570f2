from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cargohold.meta.store import MetadataStore, open_metadata_store
from tests.scripted_http import Scripted
from tests.servers import CargoholdServer, Dockerd
from tests.upstreams import DockerRegistry


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


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerRegistry]:
    """Debian's docker-registry on loopback: an upstream of remote repositories."""
    registry = DockerRegistry(tmp_path_factory.mktemp("upstream")).start()
    yield registry
    registry.stop()


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    """An HTTP server answering what a test scripts: an upstream that misbehaves exactly."""
    server = Scripted()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def meta(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetadataStore]:
    """A metadata store (SQLite) for tests that drive the upstream client and its gates
    directly, shared by a module's tests: each asks its own server, whose gate is its own."""
    store = open_metadata_store(f"sqlite:///{tmp_path_factory.mktemp('gates') / 'meta.db'}")
    yield store
    store.close()
