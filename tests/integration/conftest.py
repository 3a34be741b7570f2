from __future__ import annotations

import base64
import ipaddress
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.registry.registry import Registry
from cargohold.settings import Settings

PASSWORD = "integration-secret"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Webhook receivers in the tests listen on loopback, which webhooks may reach only when the
# operator allows it, as with CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8.
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", admin_password=PASSWORD, webhook_allowed_networks=(LOOPBACK,)
    )


class Clock:
    """A clock the tests move forward, so expiry and lock-outs are tested without sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(settings: Settings, clock: Clock) -> Iterator[Registry]:
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    # As an operator would with `cargohold repo update dev --anonymous-read`: most tests pull
    # without credentials; tests of access control use the other repositories.
    meta.repositories.update("dev", {"anonymous_read": True})
    yield build_registry(settings, store, meta, clock)
    meta.close()


@pytest.fixture
async def client(registry: Registry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(registry))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        yield http
