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


# The modules whose tests run on PostgreSQL as well as on SQLite: the protocols end to end
# (OCI, REST, generic), concurrency (races, jobs), identity and its caches, and promotion.
# The rest runs on SQLite only, to keep CI short: the metadata contracts cover each query on
# both databases.
BOTH_DATABASES = frozenset(
    {
        "test_credential_cache",
        "test_generic",
        "test_identity",
        "test_jobs",
        "test_manifests",
        "test_promotion",
        "test_races",
        "test_rest",
        "test_uploads",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if "database" in metafunc.fixturenames and module in BOTH_DATABASES:
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str | None:
    """The test's ``database_url``: None (SQLite in the data directory, the default) or a
    fresh database on the session's PostgreSQL server."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    return str(request.getfixturevalue("postgresql_url"))


@pytest.fixture
def settings(tmp_path: Path, database: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        webhook_allowed_networks=(LOOPBACK,),
        database_url=database,
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
