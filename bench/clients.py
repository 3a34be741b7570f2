"""The load generators' client processes: started before the measurement, each ready once it
has prepared its share, all let go at the same moment, their reports collected, and none left
behind however the run ends."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from types import TracebackType
from typing import Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")

START_TIMEOUT = 60.0
Worker = Callable[[P, Event, Event, "Queue[tuple[int, R]]", int], None]


class ClientProcesses(Generic[P, R]):
    """``worker(plan, ready, start, results, slot)`` in a spawned process per plan."""

    def __init__(self, worker: Worker[P, R], plans: Sequence[P], name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._results: Queue[tuple[int, R]] = context.Queue()
        self._start = context.Event()
        self._readies = [context.Event() for _ in plans]
        self._processes = [
            context.Process(
                target=worker,
                args=(plan, ready, self._start, self._results, index),
                name=f"{name}-{index}",
                daemon=True,
            )
            for index, (plan, ready) in enumerate(zip(plans, self._readies, strict=True))
        ]

    def __enter__(self) -> ClientProcesses[P, R]:
        """Start the processes and wait until each is ready."""
        for process in self._processes:
            process.start()
        for ready in self._readies:
            if not ready.wait(START_TIMEOUT):
                raise RuntimeError("a client process did not start")
        return self

    def run(self, timeout: float) -> list[R]:
        """Let them all go and return their reports, in the order they come."""
        self._start.set()
        return [self._results.get(timeout=timeout + START_TIMEOUT)[1] for _ in self._processes]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for process in self._processes:
            process.join(timeout=START_TIMEOUT if exc_type is None else 0)
        for process in self._processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5.0)
            if process.is_alive():
                process.kill()
                process.join(timeout=5.0)


__all__ = ["START_TIMEOUT", "ClientProcesses"]
