from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from cargohold.app import build_app, open_stores, prepare
from cargohold.registry.registry import Registry
from cargohold.settings import Settings

PASSWORD = "integration-secret"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_password=PASSWORD)


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    yield Registry.build(store, meta)
    meta.close()


@pytest.fixture
async def client(registry: Registry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(registry))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        yield http
