"""The users of the garbage-collection benchmark: CI jobs pushing small images and machines
pulling held ones, back to back for a window, in client processes; and the pull of a
sample of held images after the collection.

A pusher pushes one new image after another (four small layers and a config, then the
manifest by tag) the way docker does, token flow included (``bench/pushers.py``); a puller
pulls one held image after another, picked at random, the way dockerd does, each pull a
fresh login with the bearer token flow, every blob's SHA-256 checked (``bench/pullers.py``).
Each operation is recorded with when it started (``time.monotonic``, the same clock in
every process on Linux), so the benchmark can keep those that started while the collection
ran. A client stops when the window's seconds are up, when the benchmark says so, or after
``max_operations``, whichever comes first.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from bench.image import Image, build_image
from bench.pullers import PullError, PullMachine, PullPlan
from bench.pushers import BEARER, PushError, PushJob, PushPlan

PUSH = "push"
PULL = "pull"
PUSH_LAYERS = 4  # with the config, a manifest names five blobs, as ordinary images do
PUSH_LAYER_BYTES = 8 * 1024
REQUEST_SLACK = 120.0  # an operation may end this long after the window
FAILURES = (OSError, PushError, PullError, ValueError, KeyError, TypeError, TimeoutError)


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """What one client process does; picklable (the stop event crosses with it)."""

    host: str
    port: int
    credentials: tuple[str, str]
    kind: str  # PUSH or PULL
    clients: int
    seconds: float
    images: tuple[tuple[str, str], ...]  # (repository/name, tag) the pullers pick from
    push_repository: str  # pushes go to <push_repository>/ci/job-<seed>-<n>:build
    seed: int
    stop: Event | None = None
    max_operations: int = 100_000


@dataclass(frozen=True, slots=True)
class Operation:
    kind: str
    started: float  # time.monotonic()
    seconds: float
    ok: bool


@dataclass(slots=True)
class LoadReport:
    operations: list[Operation] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


def _push_plan(plan: LoadPlan) -> PushPlan:
    return PushPlan(
        host=plan.host,
        port=plan.port,
        image_prefix=f"{plan.push_repository}/ci",
        first_job=0,
        jobs=1,
        concurrency=1,
        timeout=plan.seconds + REQUEST_SLACK,
        layers=PUSH_LAYERS,
        layer_bytes=PUSH_LAYER_BYTES,
        seed=plan.seed,
        scheme=BEARER,
        credentials=plan.credentials,
    )


def _pull_plan(plan: LoadPlan, image: str, tag: str) -> PullPlan:
    return PullPlan(
        host=plan.host,
        port=plan.port,
        image=image,
        tag=tag,
        machines=1,
        concurrency=1,
        timeout=plan.seconds + REQUEST_SLACK,
        credentials=plan.credentials,
    )


async def _operation(plan: LoadPlan, client: int, number: int, rng: random.Random) -> None:
    if plan.kind == PUSH:
        built = build_image(PUSH_LAYERS, PUSH_LAYER_BYTES, seed=plan.seed * 1_000_003 + number)
        name = f"{plan.push_repository}/ci/job-{plan.seed}-{client}-{number:05d}"
        image = Image(name, "build", built.config, built.layers, built.manifest)
        job = PushJob(_push_plan(plan), image)
        try:
            await job.push()
        finally:
            job.close()
        return
    held, tag = plan.images[rng.randrange(len(plan.images))]
    machine = PullMachine(_pull_plan(plan, held, tag))
    try:
        await machine.pull()
    finally:
        machine.close()


async def _client(plan: LoadPlan, client: int, deadline: float, report: LoadReport) -> None:
    rng = random.Random(plan.seed * 7919 + client)
    for number in range(plan.max_operations):
        if time.monotonic() >= deadline or (plan.stop is not None and plan.stop.is_set()):
            return
        started = time.monotonic()
        ok = True
        try:
            async with asyncio.timeout(REQUEST_SLACK):
                await _operation(plan, client, number, rng)
        except FAILURES as exc:
            ok = False
            report.errors[f"{plan.kind}: {_describe(exc)}"] += 1
        report.operations.append(Operation(plan.kind, started, time.monotonic() - started, ok))


async def _run(plan: LoadPlan) -> LoadReport:
    report = LoadReport()
    deadline = time.monotonic() + plan.seconds
    await asyncio.gather(*(_client(plan, c, deadline, report) for c in range(plan.clients)))
    return report


def load_worker(
    plan: LoadPlan, ready: Event, start: Event, results: Queue[tuple[int, LoadReport]], slot: int
) -> None:
    """Entry point of one client process: wait for the start signal, load, report."""
    ready.set()
    report = LoadReport()
    if start.wait(timeout=plan.seconds + REQUEST_SLACK):
        report = asyncio.run(_run(plan))
    else:
        report.errors["the start signal never came"] += 1
    results.put((slot, report))


async def _pull_all(
    plan: LoadPlan, images: Sequence[tuple[str, str]], concurrency: int
) -> tuple[int, Counter[str]]:
    slots = asyncio.Semaphore(concurrency)
    errors: Counter[str] = Counter()

    async def pull(image: str, tag: str) -> bool:
        async with slots:
            machine = PullMachine(_pull_plan(plan, image, tag))
            try:
                async with asyncio.timeout(REQUEST_SLACK):
                    await machine.pull()
            except FAILURES as exc:
                errors[f"{image}:{tag}: {_describe(exc)}"[:200]] += 1
                return False
            finally:
                machine.close()
            return True

    done = await asyncio.gather(*(pull(image, tag) for image, tag in images))
    return sum(done), errors


def pull_sample(
    host: str,
    port: int,
    credentials: tuple[str, str],
    images: Sequence[tuple[str, str]],
    concurrency: int = 8,
) -> tuple[int, Counter[str]]:
    """Pull each of ``images`` (manifest and blobs, digests checked): how many pulled, and
    what went wrong with the others."""
    plan = LoadPlan(host, port, credentials, PULL, 1, 0.0, (), "", 0)
    return asyncio.run(_pull_all(plan, images, concurrency))


__all__ = ["PULL", "PUSH", "LoadPlan", "LoadReport", "Operation", "load_worker", "pull_sample"]
