"""Shared fixtures: pytest runs with the repository root on sys.path (tests is a package)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import PostgresServer
from tests.receiver import Receiver
from tests.seaweedfs import SeaweedFS
from tests.slapd import SlapdServer


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On several workers (``scripts/test`` runs pytest-xdist with ``--dist loadgroup``), a
    test file runs on one worker, so its module fixtures start once; and every test that
    drives dockerd runs on the same worker, so one daemon (and its image cache) serves all:
    a file with any such test goes there whole."""
    files = {item: item.nodeid.split("::")[0] for item in items}
    with_docker = {f for item, f in files.items() if "dockerd" in getattr(item, "fixturenames", ())}
    for item, file in files.items():
        item.add_marker(pytest.mark.xdist_group("dockerd" if file in with_docker else file))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback, stopped after the test."""
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedFS]:
    """One S3 server for the whole run, shared by every test that needs one (each works under
    a prefix of its own)."""
    server = SeaweedFS().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def slapd() -> Iterator[SlapdServer]:
    """One OpenLDAP server for the whole session (``tests/slapd.py``); a test that changes
    the directory puts it back."""
    server = SlapdServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session (``tests/postgres.py``)."""
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture
def postgresql_url(postgresql_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh database with the whole schema, dropped after the test."""
    url = postgresql_server.migrated_database()
    # Nothing else writes to the server while the test runs: the change marker moves for
    # writes to any of its databases, and tests check that it stays put.
    postgresql_server.settle()
    yield url
    postgresql_server.drop(url)
