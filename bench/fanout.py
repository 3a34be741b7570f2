"""Fan-out: N machines pull the same image at once, from cargohold and from docker-registry.

    .venv/bin/python -m bench.run --only fanout --machines 1000

Builds a 5-layer image (2 MiB of random bytes per layer), pushes it to both servers, then lets
the simulated machines (see ``bench/pullers.py``) pull it, spread over several client
processes. At most ``--concurrency`` machines pull at the same moment (each with up to three
layer downloads, so at most three times as many connections); the others queue for a slot,
as in a rollout that starts everywhere at once behind a bounded connection budget.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass

from bench.image import Image
from bench.meter import GroupMeter, Usage
from bench.pullers import PullPlan, PullReport, pull_worker
from bench.servers import Target
from bench.tables import MIB, markdown, number, percentile, ratio

START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class FanoutOptions:
    machines: int = 1000
    concurrency: int = 64
    processes: int = 2
    timeout: float = 300.0


@dataclass(frozen=True, slots=True)
class FanoutResult:
    label: str
    machines: int
    ok: int
    failed: int
    wall_seconds: float
    body_bytes: int
    latencies: tuple[float, ...]  # sorted, seconds
    errors: Counter[str]
    server: Usage
    client_cpu_seconds: float

    @property
    def pulls_per_second(self) -> float:
        return self.ok / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return self.body_bytes / 1e6 / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def cpu_seconds_per_gigabyte(self) -> float:
        gigabytes = self.body_bytes / 1e9
        return self.server.cpu_seconds / gigabytes if gigabytes else float("nan")


def _plans(target: Target, image: Image, options: FanoutOptions) -> list[PullPlan]:
    workers = max(1, min(options.processes, options.machines))
    plans = []
    for index in range(workers):
        machines = options.machines // workers + (index < options.machines % workers)
        concurrency = options.concurrency // workers + (index < options.concurrency % workers)
        plans.append(
            PullPlan(
                host=target.host,
                port=target.port,
                image=image.name,
                tag=image.tag,
                machines=machines,
                concurrency=max(1, concurrency),
                timeout=options.timeout,
            )
        )
    return plans


def run_fanout(target: Target, image: Image, options: FanoutOptions) -> FanoutResult:
    """Pull ``options.machines`` times from one server; the image must be pushed already."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[int, PullReport]] = context.Queue()
    start = context.Event()
    plans = _plans(target, image, options)
    readies = [context.Event() for _ in plans]
    processes = [
        context.Process(
            target=pull_worker,
            args=(plan, ready, start, results, index),
            name=f"puller-{index}",
            daemon=True,
        )
        for index, (plan, ready) in enumerate(zip(plans, readies, strict=True))
    ]
    reports: list[PullReport] = []
    try:
        for process in processes:
            process.start()
        for ready in readies:
            if not ready.wait(START_TIMEOUT):
                raise RuntimeError("a client process did not start")
        with GroupMeter(target.pgid) as meter:
            started = time.monotonic()
            start.set()
            for _ in processes:
                _, report = results.get(timeout=options.timeout + START_TIMEOUT)
                reports.append(report)
            wall = time.monotonic() - started
        for process in processes:
            process.join(timeout=START_TIMEOUT)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5.0)
            if process.is_alive():
                process.kill()
                process.join(timeout=5.0)
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report.errors)
    return FanoutResult(
        label=target.label,
        machines=options.machines,
        ok=sum(report.ok for report in reports),
        failed=sum(report.failed for report in reports),
        wall_seconds=wall,
        body_bytes=sum(report.body_bytes for report in reports),
        latencies=tuple(sorted(x for report in reports for x in report.latencies)),
        errors=errors,
        server=meter.usage,
        client_cpu_seconds=sum(report.cpu_seconds for report in reports),
    )


def fanout_table(results: list[FanoutResult]) -> str:
    """Both servers side by side; the ratio column is first / second."""
    first, second = results

    def row(name: str, values: tuple[float, float], digits: int = 1) -> list[str]:
        return [name, number(values[0], digits), number(values[1], digits), ratio(*values)]

    def pair(values: list[float]) -> tuple[float, float]:
        return values[0], values[1]

    rows = [
        row("pulls OK", pair([r.ok for r in results]), 0),
        row("pulls failed", pair([r.failed for r in results]), 0),
        row("wall time (s)", pair([r.wall_seconds for r in results]), 2),
        row("pulls/s", pair([r.pulls_per_second for r in results])),
        row("MB/s served (10^6 B)", pair([r.megabytes_per_second for r in results])),
        row("p50 pull latency (ms)", pair([1000 * percentile(r.latencies, 0.5) for r in results])),
        row("p99 pull latency (ms)", pair([1000 * percentile(r.latencies, 0.99) for r in results])),
        row("server CPU (s, user+sys)", pair([r.server.cpu_seconds for r in results]), 2),
        row("server CPU s per GB served", pair([r.cpu_seconds_per_gigabyte for r in results]), 2),
        row("server RSS before (MiB)", pair([r.server.rss_before / MIB for r in results])),
        row("server RSS peak (MiB)", pair([r.server.rss_peak / MIB for r in results])),
        row("server processes", pair([r.server.processes for r in results]), 0),
        row("client CPU (s)", pair([r.client_cpu_seconds for r in results]), 2),
    ]
    header = ["fan-out", first.label, second.label, f"ratio {first.label} / {second.label}"]
    return markdown(header, rows)


def error_lines(results: list[FanoutResult], limit: int = 5) -> list[str]:
    lines = []
    for result in results:
        for message, count in result.errors.most_common(limit):
            lines.append(f"- {result.label}: {count} x {message}")
    return lines


def describe(image: Image, options: FanoutOptions) -> str:
    return (
        f"{options.machines} machines, at most {options.concurrency} pulling at once "
        f"(<= {3 * options.concurrency} connections), {options.processes} client processes; "
        f"image {len(image.layers)} layers, {image.total_bytes / MIB:.1f} MiB per pull"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = FanoutOptions()
    parser.add_argument("--machines", type=int, default=defaults.machines)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=defaults.concurrency,
        help="machines pulling at the same moment (each opens up to 3 connections)",
    )
    parser.add_argument("--procs", type=int, default=defaults.processes, help="client processes")
    parser.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds per server, at most"
    )
    parser.add_argument("--workers", type=int, default=2, help="cargohold worker processes")


def options_from(args: argparse.Namespace) -> FanoutOptions:
    return FanoutOptions(
        machines=args.machines,
        concurrency=args.concurrency,
        processes=args.procs,
        timeout=args.timeout,
    )
