"""Shared fixtures: pytest runs with the repository root on sys.path (tests is a package)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.receiver import Receiver
from tests.seaweedfs import SeaweedFS


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
