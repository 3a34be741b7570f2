"""The server's side of the ASGI lifespan protocol: startup before serving, shutdown after,
a failed startup reported, and an app that does not speak lifespan served anyway."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from cargohold.server.asgi import Receive, Send
from cargohold.server.lifespan import Lifespan, LifespanFailed

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class App:
    def __init__(self, fail_startup: bool = False) -> None:
        self.fail_startup = fail_startup
        self.seen: list[str] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            self.seen.append(message["type"])
            if message["type"] == "lifespan.startup":
                if self.fail_startup:
                    await send({"type": "lifespan.startup.failed", "message": "no database"})
                    return
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return


async def test_startup_then_shutdown() -> None:
    app = App()
    lifespan = Lifespan(app)
    await lifespan.startup()
    assert app.seen == ["lifespan.startup"]
    await lifespan.shutdown()
    assert app.seen == ["lifespan.startup", "lifespan.shutdown"]


async def test_a_failed_startup_is_reported_with_the_apps_message() -> None:
    with pytest.raises(LifespanFailed, match="no database"):
        await Lifespan(App(fail_startup=True)).startup()


async def test_an_app_without_lifespan_is_served_anyway() -> None:
    async def http_only(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"

    lifespan = Lifespan(http_only)
    await lifespan.startup()
    await lifespan.shutdown()


async def test_a_startup_that_hangs_fails_after_its_limit() -> None:
    async def hangs(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        await receive()
        await asyncio.Event().wait()

    lifespan = Lifespan(hangs, startup_seconds=0.05, shutdown_seconds=0.05)
    with pytest.raises(LifespanFailed, match="did not start"):
        await lifespan.startup()
    await lifespan.shutdown()
