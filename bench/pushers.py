"""The client side of the push benchmark: simulated CI jobs, each pushing an image of its own.

Runs in worker processes (one asyncio loop each), as ``bench/pullers.py`` does for pulls. Each
job builds its image before the start signal (``--push-layers`` gzipped tars of random bytes
and a config, distinct for every job and every run) and then pushes it the way docker and
buildx do: ``GET /v2/``; for each blob (the layers and the config, at most three at a time,
each lane on a connection of its own) ``HEAD`` the blob (404: not there yet), ``POST
/v2/<name>/blobs/uploads/`` and either ``PUT <location>?digest=`` with the bytes (buildx,
containerd) or ``PATCH <location>`` with the bytes and an empty ``PUT ?digest=`` (dockerd);
then ``PUT`` the manifest by tag. A job pushes to an image name of its own.

How a job authenticates (``PushPlan.scheme``):

- ``basic``: its credentials (a password or an API token) as HTTP Basic on every request, the
  ping included, with no token flow: a CI script with curl, or a client configured with Basic;
- ``bearer``: docker's flow: the ping answers 401 with a ``Bearer`` challenge, the job asks
  the realm for ``scope=repository:<name>:pull,push`` with its credentials as Basic, and sends
  the token as ``Authorization: Bearer`` on every later request. A later 401 whose challenge
  names a scope gets one more token request for that scope and the request is repeated. A ping
  answered 200 needs no login (a registry without auth).
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from urllib.parse import quote, urlsplit

from bench.docker_auth import basic_authorization, parse_challenge, token_of, token_target
from bench.image import OCI_MANIFEST, Blob, Image, build_image
from bench.pullers import USER_AGENT
from bench.wire import Lanes, Response

BASIC = "basic"
BEARER = "bearer"
PUT_UPLOAD = "put"  # POST, then PUT with the bytes (buildx, containerd)
PATCH_UPLOAD = "patch"  # POST, PATCH with the bytes, empty PUT (dockerd)
BLOB_PARALLELISM = 3
REQUEST_TIMEOUT = 120.0
TAG = "build"


@dataclass(frozen=True, slots=True)
class PushPlan:
    """What one worker process does; picklable, so it crosses to a spawned process."""

    host: str
    port: int
    image_prefix: str  # a job pushes to <image_prefix>/job-<number>:build
    first_job: int  # the numbers of this process's jobs: first_job, first_job + 1, ...
    jobs: int
    concurrency: int
    timeout: float
    layers: int
    layer_bytes: int
    seed: int  # with the job's number, the seed of its random bytes
    scheme: str = BEARER
    credentials: tuple[str, str] | None = None  # None: push without credentials
    upload: str = PUT_UPLOAD


@dataclass(slots=True)
class PushReport:
    """What one worker process measured."""

    ok: int = 0
    failed: int = 0
    sent_bytes: int = 0
    requests: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful pushes
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0
    challenges: int = 0  # 401 answers received
    token_requests: int = 0
    present: int = 0  # blobs a HEAD found already there (not uploaded)


class PushError(Exception):
    pass


class PushJob:
    def __init__(self, plan: PushPlan, image: Image) -> None:
        self._plan = plan
        self._image = image
        self._lanes = Lanes(plan.host, plan.port)
        self._authorization: tuple[tuple[str, str], ...] = ()
        if plan.scheme == BASIC and plan.credentials is not None:
            self._authorization = (("Authorization", basic_authorization(plan.credentials)),)
        self.sent_bytes = 0
        self.requests = 0
        self.challenges = 0
        self.token_requests = 0
        self.present = 0

    def close(self) -> None:
        self._lanes.close()

    async def _send(
        self,
        index: int,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        *,
        authorized: bool = True,
    ) -> Response:
        connection = await self._lanes.get(index)
        sent = [("User-Agent", USER_AGENT), *(self._authorization if authorized else ()), *headers]
        self.requests += 1
        self.sent_bytes += len(body or b"")
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await connection.request(method, target, sent, keep_body=True, body=body)
        if response.status == 401:
            self.challenges += 1
        return response

    async def _request(
        self,
        index: int,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> Response:
        """A request with the job's authorization; a 401 whose Bearer challenge names a
        scope gets a token for that scope and the request once more, as docker does."""
        response = await self._send(index, method, target, headers, body)
        if response.status == 401 and self._plan.scheme == BEARER and self._plan.credentials:
            challenge = response.headers.get("www-authenticate", "")
            scheme, params = parse_challenge(challenge)
            if scheme == BEARER and params.get("scope"):
                await self._log_in(params, params["scope"])
                response = await self._send(index, method, target, headers, body)
        return response

    async def _log_in(self, params: dict[str, str], scope: str) -> None:
        credentials = self._plan.credentials
        if credentials is None or not params.get("realm"):
            raise PushError(f"401 with a challenge this job cannot follow: {params!r:.100}")
        self.token_requests += 1
        headers = [("Authorization", basic_authorization(credentials))]
        response = await self._send(
            0, "GET", token_target(params, scope), headers, authorized=False
        )
        if response.status != 200:
            raise PushError(f"token request: {response.status} {response.body[:200]!r}")
        try:
            token = token_of(response.body)
        except ValueError as exc:
            raise PushError(f"token request: {exc}") from exc
        self._authorization = (("Authorization", f"Bearer {token}"),)

    async def push(self) -> None:
        ping = await self._send(0, "GET", "/v2/")
        if ping.status == 401 and self._plan.scheme == BEARER:
            scheme, params = parse_challenge(ping.headers.get("www-authenticate", ""))
            if scheme != BEARER:
                raise PushError(f"GET /v2/: 401 without a Bearer challenge ({scheme or 'none'})")
            await self._log_in(params, f"repository:{self._image.name}:pull,push")
        elif ping.status != 200:
            raise PushError(f"GET /v2/: {ping.status} {ping.body[:200]!r}")
        pending = [*self._image.layers, self._image.config]
        lanes = min(BLOB_PARALLELISM, len(pending))
        await asyncio.gather(*(self._lane(index, pending) for index in range(lanes)))
        target = f"/v2/{self._image.name}/manifests/{self._image.tag}"
        content = [("Content-Type", OCI_MANIFEST)]
        response = await self._request(0, "PUT", target, content, self._image.manifest)
        if response.status != 201:
            raise PushError(f"PUT manifest: {response.status} {response.body[:200]!r}")
        answered = response.headers.get("docker-content-digest")
        if answered not in (None, self._image.manifest_digest):
            raise PushError(f"PUT manifest: answered digest {answered}")

    async def _lane(self, index: int, pending: list[Blob]) -> None:
        while pending:
            await self._blob(index, pending.pop(0))

    async def _blob(self, index: int, blob: Blob) -> None:
        name = self._image.name
        found = await self._request(index, "HEAD", f"/v2/{name}/blobs/{blob.digest}")
        if found.status == 200:
            self.present += 1
            return
        if found.status != 404:
            raise PushError(f"HEAD blob: {found.status}")
        started = await self._request(index, "POST", f"/v2/{name}/blobs/uploads/", body=b"")
        if started.status != 202 or "location" not in started.headers:
            raise PushError(f"POST upload: {started.status} {started.body[:200]!r}")
        location = _target(started.headers["location"])
        octets = [("Content-Type", "application/octet-stream")]
        body: bytes | None = blob.data
        if self._plan.upload == PATCH_UPLOAD:
            patched = await self._request(index, "PATCH", location, octets, blob.data)
            if patched.status != 202 or "location" not in patched.headers:
                raise PushError(f"PATCH upload: {patched.status} {patched.body[:200]!r}")
            location, body = _target(patched.headers["location"]), b""
        separator = "&" if "?" in location else "?"
        target = f"{location}{separator}digest={quote(blob.digest)}"
        done = await self._request(index, "PUT", target, octets, body)
        if done.status != 201:
            raise PushError(f"PUT upload: {done.status} {done.body[:200]!r}")


def _target(location: str) -> str:
    """The path and query of a ``Location`` (absolute, as docker-registry sends, or not)."""
    url = urlsplit(location)
    return (url.path or "/") + (f"?{url.query}" if url.query else "")


def job_image(plan: PushPlan, number: int) -> Image:
    """Job ``number``'s image: its own name and random bytes."""
    built = build_image(plan.layers, plan.layer_bytes, seed=plan.seed * 1_000_003 + number)
    name = f"{plan.image_prefix}/job-{number:04d}"
    return Image(name, TAG, built.config, built.layers, built.manifest)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


async def _run_job(
    plan: PushPlan, image: Image, slots: asyncio.Semaphore, report: PushReport
) -> None:
    async with slots:
        job = PushJob(plan, image)
        started = time.monotonic()
        try:
            await job.push()
        except (OSError, PushError, ValueError, KeyError, TypeError, TimeoutError) as exc:
            report.failed += 1
            report.errors[_describe(exc)] += 1
        else:
            report.ok += 1
            report.latencies.append(time.monotonic() - started)
        finally:
            job.close()
            report.sent_bytes += job.sent_bytes
            report.requests += job.requests
            report.challenges += job.challenges
            report.token_requests += job.token_requests
            report.present += job.present


async def _run(plan: PushPlan, images: list[Image]) -> PushReport:
    report = PushReport()
    slots = asyncio.Semaphore(plan.concurrency)
    tasks = [asyncio.create_task(_run_job(plan, image, slots, report)) for image in images]
    _, unfinished = await asyncio.wait(tasks, timeout=plan.timeout)
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished, timeout=10.0)
        report.failed += len(unfinished)
        report.errors[f"not finished within the {plan.timeout:.0f} s timeout"] += len(unfinished)
    return report


def push_worker(
    plan: PushPlan, ready: Event, start: Event, results: Queue[tuple[int, PushReport]], slot: int
) -> None:
    """Entry point of one worker process: build the jobs' images, wait for the start signal,
    push, report."""
    images = [job_image(plan, plan.first_job + offset) for offset in range(plan.jobs)]
    ready.set()
    report = PushReport()
    if start.wait(timeout=plan.timeout):
        before = resource.getrusage(resource.RUSAGE_SELF)
        report = asyncio.run(_run(plan, images))
        after = resource.getrusage(resource.RUSAGE_SELF)
        report.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    else:
        report.failed = plan.jobs
        report.errors["the start signal never came"] = plan.jobs
    results.put((slot, report))


__all__ = [
    "BASIC",
    "BEARER",
    "PATCH_UPLOAD",
    "PUT_UPLOAD",
    "PushError",
    "PushJob",
    "PushPlan",
    "PushReport",
    "push_worker",
]
