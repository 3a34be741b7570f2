"""The ASGI lifespan protocol, run by each worker process: ``startup`` before it accepts
connections, ``shutdown`` when it stops. An app that does not speak it is served anyway."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cargohold.server.asgi import ASGIApp, Message

STARTUP_SECONDS = 30.0
SHUTDOWN_SECONDS = 15.0

log = logging.getLogger("cargohold.server")


class LifespanFailed(Exception):
    """The app said it cannot start."""


class Lifespan:
    def __init__(
        self,
        app: ASGIApp,
        startup_seconds: float = STARTUP_SECONDS,
        shutdown_seconds: float = SHUTDOWN_SECONDS,
    ) -> None:
        self._app = app
        self._startup_seconds = startup_seconds
        self._shutdown_seconds = shutdown_seconds
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._started = asyncio.Event()
        self._stopped = asyncio.Event()
        self._failure: str | None = None
        self._supported = True
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Raises LifespanFailed if the app reports a failed startup or takes too long."""
        self._task = asyncio.create_task(self._main(), name="lifespan")
        await self._inbox.put({"type": "lifespan.startup"})
        try:
            await asyncio.wait_for(self._started.wait(), self._startup_seconds)
        except TimeoutError:
            limit = self._startup_seconds
            raise LifespanFailed(f"the app did not start within {limit:g} s") from None
        if self._failure is not None:
            raise LifespanFailed(self._failure)

    async def shutdown(self) -> None:
        task = self._task
        if task is None or task.done() or not self._supported:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(self._stopped.wait(), self._shutdown_seconds)
        except TimeoutError:
            log.warning("the app did not shut down within %g s", self._shutdown_seconds)
        if self._failure is not None:
            log.warning("the app's shutdown failed: %s", self._failure)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _main(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        try:
            await self._app(scope, self._receive, self._send)
        except Exception:
            if self._started.is_set():
                log.exception("the app's lifespan raised")
            else:
                # The spec lets a server go on without lifespan when the app raises at once.
                log.debug("the app does not support lifespan", exc_info=True)
                self._supported = False
        finally:
            self._started.set()
            self._stopped.set()

    async def _receive(self) -> Message:
        return await self._inbox.get()

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind in ("lifespan.startup.failed", "lifespan.shutdown.failed"):
            self._failure = str(message.get("message", "")) or kind
        if kind.startswith("lifespan.startup."):
            self._started.set()
        elif kind.startswith("lifespan.shutdown."):
            self._stopped.set()


__all__ = ["Lifespan", "LifespanFailed"]
