"""The client side of the fan-out benchmark: simulated machines pulling one image like dockerd.

Runs in worker processes (one asyncio loop each). A machine opens its own connections, and
like dockerd: pings ``/v2/``, ``GET``s the manifest by tag with Docker's Accept headers,
``GET``s the config, then the layers at most three at a time, and checks the SHA-256 of every
blob against its digest. A worker runs its share of the machines with at most
``concurrency`` of them pulling at once; the rest wait for a free slot.

A machine given credentials (what ``docker login`` stored) logs in the way the server's answer
to ``/v2/`` asks, as dockerd does: 200 needs nothing; a ``Bearer`` challenge starts the
distribution token-auth flow, ``GET <realm>?service=<service>&scope=repository:<image>:pull``
with the credentials as HTTP Basic, and the ``token`` (or ``access_token``) of the answer goes
as ``Authorization: Bearer`` on every later request; a ``Basic`` challenge means the
credentials go as Basic on every request. The token request goes to the server's own address
(the realm's path and query) on the machine's first connection. Every machine gets its own
token: each is a separate docker host. Should the manifest ``GET`` still answer 401 with a
``Bearer`` challenge that names a scope, the machine asks for a token with that scope once and
repeats the ``GET``. Without credentials a machine follows a ``Bearer`` challenge too, as
dockerd does: it asks the token service for an anonymous token (the same ``GET``, without
``Authorization``) and sends that as ``Bearer``; after a ``Basic`` challenge it goes on
without logging in.

A blob ``GET`` answered with a redirect (a registry that sends clients to its object store's
presigned URL) is followed as Go's HTTP client follows it: a plain ``GET`` of the
``Location``, without the ``Authorization`` header, on a connection to that host of its own
(one per layer lane, kept alive for the machine's later blobs); the bytes it receives are
checked against the digest.
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
from typing import Any
from urllib.parse import urlsplit

from bench.docker_auth import basic_authorization, parse_challenge, token_of, token_target
from bench.wire import Connection, Lanes, Response

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
REDIRECTS = (301, 302, 303, 307, 308)


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
    credentials: tuple[str, str] | None = None  # user and password or API token; None: anonymous


@dataclass(slots=True)
class PullReport:
    """What one worker process measured."""

    ok: int = 0
    failed: int = 0
    body_bytes: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful pulls
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0
    challenges: int = 0  # 401 answers received
    token_requests: int = 0  # requests sent to the token service's realm
    redirects: int = 0  # blob GETs answered with a redirect, and followed


class PullError(Exception):
    pass


class PullMachine:
    def __init__(self, plan: PullPlan) -> None:
        self._plan = plan
        self._lanes = Lanes(plan.host, plan.port)
        self._elsewhere: dict[tuple[str, int, int], Connection] = {}  # redirect targets
        self._authorization: tuple[tuple[str, str], ...] = ()
        self.body_bytes = 0
        self.challenges = 0
        self.token_requests = 0
        self.redirects = 0

    def close(self) -> None:
        self._lanes.close()
        for connection in self._elsewhere.values():
            connection.close()

    async def _follow(self, index: int, location: str) -> Response:
        """A plain GET of a redirect's ``Location`` (no credentials go with it), on this
        lane's own connection to that host."""
        url = urlsplit(location)
        if url.scheme not in ("", "http") or (url.scheme and not url.hostname):
            raise PullError(f"redirect to {location[:80]!r}: only http:// is followed")
        host = url.hostname or self._plan.host
        port = url.port or (80 if url.hostname else self._plan.port)
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        key = (host, port, index)
        connection = self._elsewhere.get(key)
        if connection is None or not connection.usable:
            connection = await Connection.open(host, port)
            self._elsewhere[key] = connection
        self.redirects += 1
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await connection.request("GET", target, [("User-Agent", USER_AGENT)])
        self.body_bytes += response.length
        return response

    async def _get(
        self, index: int, target: str, headers: Sequence[tuple[str, str]], keep: bool
    ) -> Response:
        connection = await self._lanes.get(index)
        all_headers = [("User-Agent", USER_AGENT), *headers]
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await connection.request("GET", target, all_headers, keep_body=keep)
        self.body_bytes += response.length
        if response.status == 401:
            self.challenges += 1
        return response

    async def _get_authorized(
        self, index: int, target: str, headers: Sequence[tuple[str, str]], keep: bool
    ) -> Response:
        return await self._get(index, target, (*self._authorization, *headers), keep)

    async def _log_in(self, challenge: str, scope: str) -> None:
        """Follow a 401's challenge with this machine's credentials, as dockerd does; without
        credentials, dockerd still asks the token service, for an anonymous token."""
        credentials = self._plan.credentials
        scheme, params = parse_challenge(challenge)
        if credentials is None:
            if scheme == "bearer" and params.get("realm"):
                token = await self._token(params, scope, None)
                self._authorization = (("Authorization", f"Bearer {token}"),)
            return  # a Basic challenge: nothing to log in with, go on anonymously
        if scheme == "basic":
            self._authorization = (("Authorization", basic_authorization(credentials)),)
        elif scheme == "bearer" and params.get("realm"):
            token = await self._token(params, scope, credentials)
            self._authorization = (("Authorization", f"Bearer {token}"),)
        else:
            raise PullError(f"401 with a challenge this client cannot follow: {challenge[:100]!r}")

    async def _token(
        self, params: dict[str, str], scope: str, credentials: tuple[str, str] | None
    ) -> str:
        self.token_requests += 1
        headers = (
            [] if credentials is None else [("Authorization", basic_authorization(credentials))]
        )
        response = await self._get(0, token_target(params, scope), headers, True)
        if response.status != 200:
            raise PullError(f"token request: {response.status} {response.body[:200]!r}")
        try:
            return token_of(response.body)
        except ValueError as exc:
            raise PullError(f"token request: {exc}") from exc

    async def pull(self) -> None:
        ping = await self._get(0, "/v2/", (), False)
        if ping.status == 401:
            scope = f"repository:{self._plan.image}:pull"
            await self._log_in(ping.headers.get("www-authenticate", ""), scope)
        elif ping.status != 200:
            raise PullError(f"GET /v2/: {ping.status}")
        manifest = await self._manifest()
        await self._blob(0, manifest["config"])
        pending = list(manifest["layers"])
        lanes = min(LAYER_PARALLELISM, len(pending))
        await asyncio.gather(*(self._lane(index, pending) for index in range(lanes)))

    async def _manifest(self) -> dict[str, Any]:
        plan = self._plan
        accept = [("Accept", media_type) for media_type in DOCKER_ACCEPT]
        target = f"/v2/{plan.image}/manifests/{plan.tag}"
        response = await self._get_authorized(0, target, accept, True)
        if response.status == 401 and plan.credentials is not None:
            challenge = response.headers.get("www-authenticate", "")
            named = parse_challenge(challenge)[1].get("scope")
            if named:  # the challenge names what to ask for: ask once more, with that scope
                await self._log_in(challenge, named)
                response = await self._get_authorized(0, target, accept, True)
        if response.status != 200:
            raise PullError(f"GET manifest: {response.status} {response.body[:200]!r}")
        expected = response.headers.get("docker-content-digest")
        if expected is not None and expected != f"sha256:{response.sha256}":
            raise PullError("manifest digest does not match Docker-Content-Digest")
        manifest: dict[str, Any] = json.loads(response.body)
        return manifest

    async def _lane(self, index: int, pending: list[dict[str, object]]) -> None:
        while pending:
            await self._blob(index, pending.pop(0))

    async def _blob(self, index: int, descriptor: dict[str, object]) -> None:
        digest = str(descriptor["digest"])
        target = f"/v2/{self._plan.image}/blobs/{digest}"
        response = await self._get_authorized(index, target, (), False)
        if response.status in REDIRECTS and "location" in response.headers:
            response = await self._follow(index, response.headers["location"])
            if response.status != 200:
                raise PullError(f"GET blob at the redirect's location: {response.status}")
        if response.status != 200:
            raise PullError(f"GET blob: {response.status}")
        if f"sha256:{response.sha256}" != digest:
            raise PullError(
                f"blob {digest[:19]}: received bytes hash to sha256:{response.sha256[:12]}"
            )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


async def _run_machine(plan: PullPlan, slots: asyncio.Semaphore, report: PullReport) -> None:
    async with slots:
        machine = PullMachine(plan)
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
            report.challenges += machine.challenges
            report.token_requests += machine.token_requests
            report.redirects += machine.redirects


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


__all__ = [
    "DOCKER_ACCEPT",
    "USER_AGENT",
    "PullError",
    "PullMachine",
    "PullPlan",
    "PullReport",
    "pull_worker",
]
