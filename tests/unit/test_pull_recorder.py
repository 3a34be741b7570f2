"""The pull recorder: pulls noted in memory reach the database in one batch a moment later,
a manifest at most once an hour, and a write that fails never reaches the pull."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pytest
from anyio import to_thread

from cargohold.records.oci import ManifestPull
from cargohold.registry.oci.pull_records import PullRecorder

pytestmark = pytest.mark.anyio
HOUR = 3600.0
DELAY = 0.01


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_pulls_reach_the_database_in_one_batch_once_an_hour_each() -> None:
    clock = Clock()
    batches: list[list[tuple[str, float]]] = []
    wrote = threading.Event()

    def mark(pulls: Sequence[ManifestPull], every: float) -> None:
        assert every == HOUR
        batches.append(sorted((p.digest, p.at) for p in pulls))
        wrote.set()

    recorder = PullRecorder(mark, clock, every=HOUR, delay=DELAY)
    for _ in range(100):
        recorder.pulled("dev", "app", "sha256:a")
    recorder.pulled("dev", "app", "sha256:b")
    assert batches == []  # nothing written by a pull itself
    # Written by the background a moment later (seconds at most on a loaded machine).
    assert await to_thread.run_sync(wrote.wait, 10)
    assert batches == [[("sha256:a", clock.now), ("sha256:b", clock.now)]]

    clock.now += HOUR - 1
    recorder.pulled("dev", "app", "sha256:a")
    await recorder.flush()  # nothing to write
    assert len(batches) == 1
    clock.now += 1
    recorder.pulled("dev", "app", "sha256:a")
    recorder.pulled("dev", "other", "sha256:a")  # another image's manifest
    await recorder.aclose()  # as a process stops: written now
    assert batches[1:] == [[("sha256:a", clock.now), ("sha256:a", clock.now)]]


async def test_a_write_that_fails_is_logged_and_tried_again_at_the_next_pull(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def failing(pulls: Sequence[ManifestPull], every: float) -> None:
        calls.append(len(pulls))
        raise OSError("database is locked")

    recorder = PullRecorder(failing, Clock(), delay=HOUR)  # written by flush only
    with caplog.at_level(logging.WARNING, "cargohold.pulls"):
        recorder.pulled("dev", "app", "sha256:a")  # never raises
        await recorder.flush()  # never raises
        recorder.pulled("dev", "app", "sha256:a")  # within the hour, but not written yet
        await recorder.aclose()
    assert calls == [1, 1]
    assert [r.getMessage() for r in caplog.records] == ["could not record 1 manifest pulls"] * 2
