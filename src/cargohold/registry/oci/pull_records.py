"""When each manifest was last pulled, recorded without costing the pull anything.

A pull of a manifest is the hottest request there is, so it writes nothing to the database:
it notes the manifest in memory, and a write at most once an hour per manifest (per process)
is batched with the others noted in the same few seconds, off the request, in the
background. Retention's ``unusedDays`` reads what was written (``manifests.pulled_at``), so
a pull is known to within an hour, which is plenty for a rule counted in days.

Nothing here may fail or slow a pull: a write that fails is logged and dropped (the next pull
of the manifest notes it again), and what was noted in the last seconds before a process
stops is lost (a later pull, in any process, records it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from anyio import to_thread

from cargohold.core.bounded import remember
from cargohold.records.oci import ManifestPull

EVERY_SECONDS = 3600.0  # a manifest's pull is written at most this often (per process)
FLUSH_SECONDS = 5.0  # how long pulls gather before their batch is written
LIMIT = 100_000  # manifests remembered (and, at most, waiting to be written)

log = logging.getLogger("cargohold.pulls")

_Key = tuple[str, str, str]


class PullRecorder:
    """Notes pulls in memory and writes them in batches with ``mark`` (blocking: it runs on
    a thread), each manifest at most once every ``every`` seconds."""

    def __init__(
        self,
        mark: Callable[[Sequence[ManifestPull], float], object],
        clock: Callable[[], float],
        every: float = EVERY_SECONDS,
        delay: float = FLUSH_SECONDS,
        limit: int = LIMIT,
    ) -> None:
        self._mark = mark
        self._clock = clock
        self._every = every
        self._delay = delay
        self._limit = limit
        self._noted: dict[_Key, float] = {}  # when each manifest's pull was last queued
        self._pending: dict[_Key, float] = {}  # waiting for the next batch
        self._later: asyncio.TimerHandle | None = None  # the next batch, when one waits
        self._writing: asyncio.Task[None] | None = None  # the batch being written

    def pulled(self, repository: str, name: str, digest: str) -> None:
        """Note that a manifest was pulled (a dictionary lookup, almost always; never raises,
        never waits)."""
        key = (repository, name, digest)
        now = self._clock()
        last = self._noted.get(key)
        if last is not None and now - last < self._every:
            return
        if len(self._pending) >= self._limit:
            return  # a burst past the limit in a few seconds: its pulls are noted later
        remember(self._noted, key, now, self._limit)
        self._pending[key] = now
        if self._later is None:
            self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a request; the next pull schedules the batch
            return
        # A timer, not a sleeping task: a loop that closes drops it without a word.
        self._later = loop.call_later(self._delay, self._write_batch, loop)

    def _write_batch(self, loop: asyncio.AbstractEventLoop) -> None:
        self._writing = loop.create_task(self._write(), name="cargohold-pulls")

    async def _write(self) -> None:
        try:
            await self.flush()
        finally:
            self._later = self._writing = None
            if self._pending:
                self._schedule()

    async def flush(self) -> None:
        """Write what was noted and not yet written (a failure is logged, never raised)."""
        batch, self._pending = self._pending, {}
        if not batch:
            return
        pulls = [ManifestPull(*key, at) for key, at in batch.items()]
        try:
            await to_thread.run_sync(self._mark, pulls, self._every)
        except Exception:
            for key in batch:  # noted again by their next pull
                self._noted.pop(key, None)
            log.warning("could not record %d manifest pulls", len(pulls), exc_info=True)

    async def aclose(self) -> None:
        """Stop the pending batch and write it now (as a process stops)."""
        if self._later is not None:
            self._later.cancel()
            self._later = None
        await self.flush()


__all__ = ["EVERY_SECONDS", "FLUSH_SECONDS", "PullRecorder"]
