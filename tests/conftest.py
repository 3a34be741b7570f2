"""Shared fixtures: pytest runs with the repository root on sys.path (tests is a package)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback, stopped after the test."""
    running = Receiver().start()
    yield running
    running.stop()
