"""/metrics on a real server of two worker processes: a scrape adds up what every worker
counted, and goes on doing so when a worker dies and the server starts another."""

from __future__ import annotations

import http.client
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.metrics import Samples, samples
from tests.servers import CargoholdServer, child_pids

pytestmark = pytest.mark.e2e
SQLITE_POOL_LIMIT = 32  # each worker's: 16 connections and 16 more at most


def scrape(server: CargoholdServer) -> Samples:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return samples(response.text)


def probes(scraped: Samples) -> float:
    """The HEAD /healthz answered (what no other client of the server sends)."""
    labels = frozenset({("protocol", "probe"), ("method", "HEAD"), ("status", "200")})
    return scraped.get(("cargohold_http_requests_total", labels), 0.0)


def pool_limit(scraped: Samples) -> float:
    return scraped.get(("cargohold_database_connections", frozenset({("state", "limit")})), 0.0)


def eventually(server: CargoholdServer, wanted: float, measure: object) -> float:
    """The scraped value once it reaches ``wanted``: workers publish once a second."""
    assert callable(measure)
    deadline = time.monotonic() + 5
    while True:
        seen = float(measure(scrape(server)))
        if seen == wanted or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def workers(server: CargoholdServer) -> list[int]:
    assert server.process is not None
    return sorted(child_pids(server.process.pid))


def test_a_scrape_adds_up_every_worker(server: CargoholdServer) -> None:
    assert probes(scrape(server)) == 0

    def probe(_: int) -> int:  # a connection each, several at once: both workers answer
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("HEAD", "/healthz")
            return connection.getresponse().status
        finally:
            connection.close()

    # Which worker accepts a connection is the kernel's choice: probe until both have
    # counted some (bounded), then the scrape must hold every probe of both.
    sent, counting = 0, list[Path]()
    deadline = time.monotonic() + 30
    while sent == 0 or (len(counting) < 2 and time.monotonic() < deadline):
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert set(pool.map(probe, range(40))) == {200}
        sent += 40
        assert eventually(server, sent, probes) == sent
        counting = list((server.data_dir / "metrics").glob("counter_*.db"))
    assert len(counting) == 2  # each worker counted some of them
    assert eventually(server, 2 * SQLITE_POOL_LIMIT, pool_limit) == 2 * SQLITE_POOL_LIMIT

    victim = workers(server)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while victim in workers(server) or len(workers(server)) < 2:
        assert time.monotonic() < deadline, "no worker took the killed one's place"
        time.sleep(0.05)
    # The dead worker's requests stay counted, its pool is no longer: the new one's is.
    assert probes(scrape(server)) == sent
    assert eventually(server, 2 * SQLITE_POOL_LIMIT, pool_limit) == 2 * SQLITE_POOL_LIMIT
