"""The job runner: one per server worker process, claiming jobs from the queue table and
running them on the worker's event loop next to the requests it serves.

It polls every ``poll_interval`` seconds (a read; a job enqueued by this process wakes it at
once), runs up to ``concurrency`` jobs at a time, renews each job's lease every third of
``lease`` while the handler runs, and on shutdown stops claiming, lets running jobs finish
for a grace period, then cancels them and gives their jobs back to the queue.

Handlers are async functions of the job (blocking work goes to a thread); they must be
idempotent. ``Retry`` schedules the next attempt, ``Fail`` ends the job for good, any other
exception is retried with exponential backoff until the job's attempts run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from types import TracebackType
from typing import Any

from cargohold.records.jobs import JobRecord
from cargohold.registry.jobs import JobQueue

LEASE_SECONDS = 15.0
POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 5.0
MAX_POLL_BACKOFF = 30.0

Handler = Callable[[JobRecord], Awaitable[dict[str, Any] | None]]
Handlers = Mapping[str, Handler]
HandlerFactory = Callable[[], AbstractAsyncContextManager[Handlers]]

log = logging.getLogger("cargohold.jobs")


class Retry(Exception):
    """Try the job again after ``delay`` seconds (default: the queue's backoff). A handler
    that ``progressed`` (finished part of its work) before this starts counting again."""

    def __init__(self, message: str, *, delay: float | None = None, progressed: bool = False):
        super().__init__(message)
        self.delay = delay
        self.progressed = progressed


class Fail(Exception):
    """End the job as failed, without further attempts (it can never succeed)."""


def worker_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process differs)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class JobRunner:
    def __init__(
        self,
        queue: JobQueue,
        handlers: HandlerFactory,
        *,
        concurrency: int = 4,
        poll_interval: float = POLL_SECONDS,
        lease: float = LEASE_SECONDS,
        owner: str | None = None,
    ) -> None:
        self._queue = queue
        self._leases = queue.leases
        self._factory = handlers
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._lease = lease
        self.owner = owner or worker_name()
        self._handlers: Handlers = {}
        self._stack: AsyncExitStack | None = None
        self._poller: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    async def __aenter__(self) -> JobRunner:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _open(self) -> None:
        if self._stack is not None:
            return
        stack = AsyncExitStack()
        self._handlers = await stack.enter_async_context(self._factory())
        self._stack = stack

    async def start(self) -> None:
        """Open the handlers and poll the queue in the background until ``stop``."""
        await self._open()
        if self._poller is None:
            self._stopping.clear()
            self._queue.subscribe(self._wake.set)
            self._poller = asyncio.create_task(self._poll(), name="cargohold-jobs")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop claiming; give running jobs ``grace`` seconds, then cancel them (their jobs
        go back to the queue); close the handlers."""
        self._stopping.set()
        self._wake.set()
        self._queue.unsubscribe(self._wake.set)
        if self._poller is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._poller), grace)
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=grace)
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    async def run_once(self) -> JobRecord | None:
        """Claim one due job and run it to its end; None when nothing is due."""
        job = await self._leases.claim(self.owner, self._lease, self.kinds)
        if job is not None:
            await self._run(job)
        return job

    async def drain(self, limit: int = 1000) -> int:
        """Run due jobs one after another until none is due (at most ``limit``)."""
        count = 0
        while count < limit and await self.run_once() is not None:
            count += 1
        return count

    async def _poll(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()
            if len(self._running) < self._concurrency:
                try:
                    job = await self._leases.claim(self.owner, self._lease, self.kinds)
                    failures = 0
                except Exception as exc:
                    failures += 1
                    log.warning("cannot claim jobs (%s); trying again", exc, exc_info=failures == 1)
                    job = None
                if job is not None:
                    task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
                    self._running.add(task)
                    task.add_done_callback(self._finished)
                    continue
            wait = min(self._poll_interval * 2**failures, MAX_POLL_BACKOFF)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _run(self, job: JobRecord) -> None:
        handler = self._handlers[job.kind]
        renew = asyncio.create_task(self._keep_lease(job))
        try:
            try:
                result = await handler(job)
            finally:
                renew.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renew
        except asyncio.CancelledError:
            await self._record(self._leases.release(job, self.owner), job)
            raise
        except Retry as exc:
            state = await self._record(
                self._leases.retry(
                    job, self.owner, str(exc), delay=exc.delay, progressed=exc.progressed
                ),
                job,
            )
            self._report(job, state, str(exc))
        except Fail as exc:
            await self._record(self._leases.retry(job, self.owner, str(exc), final=True), job)
            self._report(job, "failed", str(exc))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("job %s (%s) raised", job.id, job.kind, exc_info=True)
            state = await self._record(self._leases.retry(job, self.owner, error), job)
            self._report(job, state, error)
        else:
            await self._record(self._leases.complete(job, self.owner, result), job)

    async def _record(self, outcome: Awaitable[Any], job: JobRecord) -> Any:
        """Write how the run ended; if that fails, the lease runs out and the job is retried."""
        try:
            return await outcome
        except Exception:
            log.warning("could not record how job %s ended", job.id, exc_info=True)
            return None

    def _report(self, job: JobRecord, state: object, error: str) -> None:
        if state == "failed":
            log.warning(
                "job %s (%s) failed after %d attempts: %s", job.id, job.kind, job.attempts, error
            )
        else:
            log.info("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, error)

    async def _keep_lease(self, job: JobRecord) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                held = await self._leases.extend(job, self.owner, self._lease)
            except Exception as exc:
                log.warning("could not renew the lease of job %s: %s", job.id, exc)
                continue
            if not held:
                log.warning("job %s: lease lost to another worker; its result is ignored", job.id)
                return


__all__ = [
    "LEASE_SECONDS",
    "POLL_SECONDS",
    "STOP_GRACE_SECONDS",
    "Fail",
    "Handler",
    "HandlerFactory",
    "Handlers",
    "JobRunner",
    "Retry",
    "worker_name",
]
