"""The client side of the fan-out benchmark: simulated machines pulling one image like dockerd.

Runs in worker processes (one asyncio loop each). A machine opens its own connections, and
like dockerd: pings ``/v2/``, ``GET``s the manifest by tag with Docker's Accept headers,
``GET``s the config, then the layers at most three at a time, and checks the SHA-256 of every
blob against its digest. A worker runs its share of the machines with at most
``concurrency`` of them pulling at once; the rest wait for a free slot.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from bench.wire import Connection

# What dockerd's distribution client sends, one Accept field per media type.
DOCKER_ACCEPT = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
)
USER_AGENT = "docker/27.5.1 go/go1.22.11 os/linux arch/amd64 (cargohold-bench)"
LAYER_PARALLELISM = 3
REQUEST_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class PullPlan:
    """What one worker process does; picklable, so it crosses to a spawned process."""

    host: str
    port: int
    image: str
    tag: str
    machines: int
    concurrency: int
    timeout: float


@dataclass(slots=True)
class PullReport:
    """What one worker process measured."""

    ok: int = 0
    failed: int = 0
    body_bytes: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful pulls
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0


class PullError(Exception):
    pass


class _Machine:
    def __init__(self, plan: PullPlan) -> None:
        self._plan = plan
        self._connections: list[Connection] = []
        self.body_bytes = 0

    async def _connection(self, index: int) -> Connection:
        while len(self._connections) <= index:
            self._connections.append(await Connection.open(self._plan.host, self._plan.port))
        connection = self._connections[index]
        if not connection.usable:  # the server closed it: dial again, as a client would
            connection = await Connection.open(self._plan.host, self._plan.port)
            self._connections[index] = connection
        return connection

    def close(self) -> None:
        for connection in self._connections:
            connection.close()

    async def _get(
        self, index: int, path: str, headers: Sequence[tuple[str, str]], keep: bool
    ) -> tuple[int, dict[str, str], bytes, str]:
        connection = await self._connection(index)
        all_headers = [("User-Agent", USER_AGENT), *headers]
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await connection.request("GET", path, all_headers, keep_body=keep)
        self.body_bytes += response.length
        return response.status, response.headers, response.body, response.sha256

    async def pull(self) -> None:
        plan = self._plan
        status, _, _, _ = await self._get(0, "/v2/", (), False)
        if status not in (200, 401):
            raise PullError(f"GET /v2/: {status}")
        accept = [("Accept", media_type) for media_type in DOCKER_ACCEPT]
        path = f"/v2/{plan.image}/manifests/{plan.tag}"
        status, headers, body, sha = await self._get(0, path, accept, True)
        if status != 200:
            raise PullError(f"GET manifest: {status} {body[:200]!r}")
        expected = headers.get("docker-content-digest")
        if expected is not None and expected != f"sha256:{sha}":
            raise PullError("manifest digest does not match Docker-Content-Digest")
        manifest = json.loads(body)
        await self._blob(0, manifest["config"])
        pending = list(manifest["layers"])
        lanes = min(LAYER_PARALLELISM, len(pending))
        await asyncio.gather(*(self._lane(index, pending) for index in range(lanes)))

    async def _lane(self, index: int, pending: list[dict[str, object]]) -> None:
        while pending:
            await self._blob(index, pending.pop(0))

    async def _blob(self, index: int, descriptor: dict[str, object]) -> None:
        digest = str(descriptor["digest"])
        path = f"/v2/{self._plan.image}/blobs/{digest}"
        status, _, _, sha = await self._get(index, path, (), False)
        if status != 200:
            raise PullError(f"GET blob: {status}")
        if f"sha256:{sha}" != digest:
            raise PullError(f"blob {digest[:19]}: received bytes hash to sha256:{sha[:12]}")


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


async def _run_machine(plan: PullPlan, slots: asyncio.Semaphore, report: PullReport) -> None:
    async with slots:
        machine = _Machine(plan)
        started = time.monotonic()
        try:
            await machine.pull()
        except (OSError, PullError, ValueError, KeyError, TypeError, TimeoutError) as exc:
            report.failed += 1
            report.errors[_describe(exc)] += 1
        else:
            report.ok += 1
            report.latencies.append(time.monotonic() - started)
        finally:
            machine.close()
            report.body_bytes += machine.body_bytes


async def _run(plan: PullPlan) -> PullReport:
    report = PullReport()
    slots = asyncio.Semaphore(plan.concurrency)
    tasks = [asyncio.create_task(_run_machine(plan, slots, report)) for _ in range(plan.machines)]
    _, unfinished = await asyncio.wait(tasks, timeout=plan.timeout)
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished, timeout=10.0)
        report.failed += len(unfinished)
        report.errors[f"not finished within the {plan.timeout:.0f} s timeout"] += len(unfinished)
    return report


def pull_worker(
    plan: PullPlan, ready: Event, start: Event, results: Queue[tuple[int, PullReport]], slot: int
) -> None:
    """Entry point of one worker process: wait for the start signal, pull, report."""
    ready.set()
    report = PullReport()
    if start.wait(timeout=plan.timeout):
        before = resource.getrusage(resource.RUSAGE_SELF)
        report = asyncio.run(_run(plan))
        after = resource.getrusage(resource.RUSAGE_SELF)
        report.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    else:
        report.failed = plan.machines
        report.errors["the start signal never came"] = plan.machines
    results.put((slot, report))


__all__ = ["DOCKER_ACCEPT", "PullPlan", "PullReport", "pull_worker"]
