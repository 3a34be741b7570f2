"""``GET /metrics``: every worker process's counters added up, and the instance's levels read
from the database at scrape time, in the Prometheus text format.

Each worker publishes its totals every ``PUBLISH_SECONDS`` (and the one that answers a
scrape, its own just before), so a scrape sees every worker's requests within a second.
Who may scrape is a matter of networks, not credentials (Prometheus scrapers seldom carry
any): the metrics name repositories, which the REST API shows only to their readers, so by
default only loopback and private networks may (``metrics_allowed_networks``)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Iterator, Sequence

from anyio import to_thread
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import Receive, Scope, Send

from cargohold.api.monitoring.answers import READ_METHODS, answer, refuse_method
from cargohold.core.networks import Network
from cargohold.metrics import DATABASE_CONNECTIONS, MetricsDirectory
from cargohold.metrics.files import CONTENT_TYPE
from cargohold.records.jobs import STATES
from cargohold.records.monitoring import InstanceLevels
from cargohold.registry.monitoring.levels import Levels

PUBLISH_SECONDS = 1.0
log = logging.getLogger("cargohold.metrics")


class InstanceCollector(Collector):
    """The levels read from the database, the same on every node."""

    def __init__(self, levels: InstanceLevels) -> None:
        self._levels = levels

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "cargohold_jobs",
            "Jobs in the queue by kind and state (finished ones until pruned).",
            labels=["kind", "state"],
        )
        for kind in sorted({kind for kind, _ in self._levels.jobs}):
            for state in STATES:
                jobs.add_metric([kind, state], self._levels.jobs.get((kind, state), 0))
        yield jobs
        yield GaugeMetricFamily(
            "cargohold_uploads_in_progress",
            "Upload sessions started and not yet finished, cancelled or expired.",
            value=self._levels.open_uploads,
        )
        storage = GaugeMetricFamily(
            "cargohold_storage_bytes",
            "Bytes of the distinct blobs each repository holds (as GET /api/v1/storage).",
            labels=["repository"],
        )
        for repository, used in sorted(self._levels.storage_bytes.items()):
            storage.add_metric([repository], used)
        yield storage


class MetricsEndpoint:
    def __init__(
        self, directory: MetricsDirectory, levels: Levels, allowed: Sequence[Network]
    ) -> None:
        self._directory = directory
        self._levels = levels
        self._allowed = tuple(allowed)
        self._publisher = directory.publisher()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Publish this process's totals every second from now on (the worker's lifespan)."""
        self._task = asyncio.get_running_loop().create_task(self._publish_every_second())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.publish()

    def publish(self) -> None:
        pool = self._levels.pool()
        DATABASE_CONNECTIONS.labels("in_use").set(pool.in_use)
        DATABASE_CONNECTIONS.labels("idle").set(pool.idle)
        DATABASE_CONNECTIONS.labels("limit").set(pool.limit)
        self._publisher.publish()

    async def _publish_every_second(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_SECONDS)
            try:
                self.publish()
            except Exception:
                log.exception("this worker's metrics could not be published")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in READ_METHODS:
            await refuse_method(scope, send)
            return
        client = (scope.get("client") or ("", 0))[0]
        if not self._allows(client):
            message = (
                f"{client or 'this client'} may not read the metrics: allow its network in "
                "metrics_allowed_networks (CARGOHOLD_METRICS_ALLOWED_NETWORKS)\n"
            )
            await answer(scope, send, 403, message.encode(), b"text/plain; charset=utf-8")
            return
        self.publish()
        levels = await self._levels.instance()
        body = await to_thread.run_sync(self._directory.render, [InstanceCollector(levels)])
        await answer(scope, send, 200, body, CONTENT_TYPE.encode())

    def _allows(self, client: str) -> bool:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._allowed)


__all__ = ["PUBLISH_SECONDS", "InstanceCollector", "MetricsEndpoint"]
