"""What an operator's monitoring sees: /healthz, /readyz (and each way it fails, made real:
a blob store directory gone, a database left at an older migration, a database server that
does not answer) and /metrics after pushes and pulls."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cargohold.app import MetricsOptions, build_app, build_registry, open_stores
from cargohold.meta.database import create_engine, head_revision, migrate
from cargohold.registry.registry import Registry
from cargohold.settings import PRIVATE_NETWORKS, Settings
from tests.images import make_image, sha256
from tests.integration.conftest import AUTH
from tests.integration.oci import push_image
from tests.metrics import Samples, samples
from tests.servers import free_port

pytestmark = pytest.mark.anyio
NAME = "dev/monitored/app"


def metrics_options(settings: Settings) -> MetricsOptions:
    return MetricsOptions(settings.metrics_dir, PRIVATE_NETWORKS)


@pytest.fixture
async def monitored(registry: Registry, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as the server builds it, metrics on (the metrics directory emptied as a server
    start empties it)."""
    transport = httpx.ASGITransport(app=build_app(registry, metrics=metrics_options(settings)))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        yield http


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
async def test_probes_answer_without_credentials(client: httpx.AsyncClient) -> None:
    healthy = await client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok"}
    assert (await client.head("/healthz")).status_code == 200
    refused = await client.post("/readyz")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"
    assert (await client.get("/api/v1/health")).json()["status"] == "ok"  # still there
    assert (await client.get("/metrics")).status_code == 404  # metrics off: no endpoint
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["status"] == "ready"
    assert document["failing"] == []
    assert [(c["name"], c["ok"]) for c in document["checks"]] == [
        ("database", True),
        ("migrations", True),
        ("database_writable", True),
        ("blob_store", True),
    ]


async def test_readyz_names_a_missing_blob_store(
    registry: Registry, settings: Settings, client: httpx.AsyncClient
) -> None:
    shutil.rmtree(settings.blob_root / "blobs")  # as when the volume is not mounted
    response = await client.get("/readyz")
    assert response.status_code == 503
    document = response.json()
    assert document["status"] == "not ready"
    assert document["failing"] == ["blob_store"]
    detail = next(c["detail"] for c in document["checks"] if c["name"] == "blob_store")
    assert str(settings.blob_root / "blobs") in detail
    assert "missing" in detail


async def test_readyz_names_a_database_at_an_older_migration(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "old", admin_password="x" * 12)
    settings.data_dir.mkdir()
    engine = create_engine(settings.database)
    migrate(engine, "0013")  # as an older version left it
    engine.dispose()
    store, meta = open_stores(settings, migrate=False)
    try:
        transport = httpx.ASGITransport(app=build_app(build_registry(settings, store, meta)))
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
            response = await http.get("/readyz")
    finally:
        meta.close()
    assert response.status_code == 503
    document = response.json()
    assert document["failing"] == ["migrations"]
    detail = next(c["detail"] for c in document["checks"] if c["name"] == "migrations")
    assert detail.startswith(f"at 0013, this version needs {head_revision()}")


async def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    nobody = f"postgresql+psycopg://cargohold:secret@127.0.0.1:{free_port()}/cargohold"
    settings = Settings(data_dir=tmp_path / "data", database_url=nobody)
    store, meta = open_stores(settings, migrate=False)
    try:
        transport = httpx.ASGITransport(app=build_app(build_registry(settings, store, meta)))
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
            response = await http.get("/readyz")
            health = await http.get("/healthz")
    finally:
        meta.close()
    assert response.status_code == 503
    document = response.json()
    assert document["failing"] == ["database", "migrations", "database_writable"]
    detail = next(c["detail"] for c in document["checks"] if c["name"] == "database")
    assert detail.startswith("unreachable: the metadata database at 127.0.0.1:")
    assert "secret" not in response.text
    assert health.status_code == 200  # the process itself is fine: no restart wanted


async def test_metrics_count_what_clients_did(
    monitored: httpx.AsyncClient, registry: Registry, settings: Settings
) -> None:
    image = make_image([{"hello": b"metrics " * 200}])
    await push_image(monitored, NAME, "1.0", image)
    started = await monitored.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    assert started.status_code == 202
    before = await scrape(monitored)
    layer = image.layers[0]
    for _ in range(3):
        pulled = await monitored.get(f"/v2/{NAME}/manifests/1.0", headers=AUTH)
        assert pulled.status_code == 200
    blob = await monitored.get(f"/v2/{NAME}/blobs/{sha256(layer)}", headers=AUTH)
    assert blob.content == layer
    assert (await monitored.get(f"/v2/{NAME}/manifests/nope", headers=AUTH)).status_code == 404
    after = await scrape(monitored)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "cargohold_http_requests_total"
    assert grew(requests, protocol="oci", method="GET", status="200") == 4
    assert grew(requests, protocol="oci", method="GET", status="404") == 1
    assert value(after, requests, protocol="oci", method="POST", status="202") == 1
    assert value(after, requests, protocol="metrics", method="GET", status="200") >= 1
    timed = "cargohold_http_request_duration_seconds_count"
    assert grew(timed, protocol="oci", method="GET") == 5
    every = value(after, timed, protocol="oci", method="GET")
    bucket = "cargohold_http_request_duration_seconds_bucket"
    assert value(after, bucket, protocol="oci", method="GET", le="+Inf") == every
    assert grew("cargohold_blob_bytes_served_total") == len(layer)
    assert value(after, "cargohold_cache_lookups_total", cache="manifests", result="hit") >= 2
    assert value(after, "cargohold_uploads_in_progress") == 1
    stored = sum(len(b) for b in image.blobs)
    assert value(after, "cargohold_storage_bytes", repository="dev") == stored
    assert value(after, "cargohold_jobs", kind="insight.scan", state="queued") >= 1
    assert value(after, "cargohold_database_connections", state="limit") > 0

    # A client from a network the settings do not allow gets a 403 saying which setting.
    transport = httpx.ASGITransport(
        app=build_app(registry, metrics=metrics_options(settings)), client=("203.0.113.9", 4000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
        refused = await http.get("/metrics")
        probe = await http.get("/healthz")
    assert refused.status_code == 403
    assert "CARGOHOLD_METRICS_ALLOWED_NETWORKS" in refused.text
    assert probe.status_code == 200  # probes stay public
