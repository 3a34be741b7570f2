"""Fan-out: N machines pull the same image at once, from cargohold and from docker-registry.

    .venv/bin/python -m bench.run --only fanout --machines 1000

Builds a 5-layer image (2 MiB of random bytes per layer), pushes it to both servers, then lets
the simulated machines (see ``bench/pullers.py``) pull it, spread over several client
processes. At most ``--concurrency`` machines pull at the same moment (each with up to three
layer downloads, so at most three times as many connections); the others queue for a slot,
as in a rollout that starts everywhere at once behind a bounded connection budget.

``--pull-auth`` says how the machines log in (see ``bench/fleet.py``): anonymously, with the
fleet account's password or with its API token, each through the registry token flow; ``all``
runs each of them against cargohold. Every run starts on a freshly started server, so that no
cache is warm from the push or from the run before; docker-registry, which has no auth, is
pulled once.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import Counter
from dataclasses import dataclass

from bench import fleet
from bench.fleet import PullAuth
from bench.image import Image
from bench.meter import GroupMeter, Usage
from bench.pullers import PullPlan, PullReport, pull_worker
from bench.servers import Servers, Target
from bench.tables import MIB, markdown, number, percentile, ratio

START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class FanoutOptions:
    machines: int = 1000
    concurrency: int = 64
    processes: int = 2
    timeout: float = 300.0
    pull_auth: str = "all"

    @property
    def modes(self) -> tuple[str, ...]:
        return fleet.MODES if self.pull_auth == "all" else (self.pull_auth,)


@dataclass(frozen=True, slots=True)
class FanoutResult:
    label: str
    mode: str
    machines: int
    ok: int
    failed: int
    wall_seconds: float
    body_bytes: int
    latencies: tuple[float, ...]  # sorted, seconds
    errors: Counter[str]
    server: Usage
    client_cpu_seconds: float
    challenges: int  # 401 answers the machines received
    token_requests: int

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


def _plans(target: Target, image: Image, options: FanoutOptions, auth: PullAuth) -> list[PullPlan]:
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
                credentials=auth.credentials,
            )
        )
    return plans


def run_fanouts(servers: Servers, image: Image, options: FanoutOptions) -> list[FanoutResult]:
    """Every server in each of ``options.modes`` (a server without auth once), each run on
    a freshly restarted server; the image must be pushed already."""
    repository = image.name.partition("/")[0]
    results = []
    for label in [target.label for target in servers.targets]:
        target = next(t for t in servers.targets if t.label == label)
        # A server without auth is pulled once, by machines holding the last mode's
        # credentials, which it never asks for.
        modes = options.modes if target.auth is not None else options.modes[-1:]
        for mode in modes:
            auth = fleet.prepare(target, repository, mode)
            target = servers.restart(label)
            print(f"fan-out pull from {label} ({auth.mode}) ...", file=sys.stderr, flush=True)
            results.append(run_fanout(target, image, options, auth))
    return results


def run_fanout(
    target: Target, image: Image, options: FanoutOptions, auth: PullAuth
) -> FanoutResult:
    """Pull ``options.machines`` times from one server; the image must be pushed already."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[int, PullReport]] = context.Queue()
    start = context.Event()
    plans = _plans(target, image, options, auth)
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
        mode=auth.mode,
        machines=options.machines,
        ok=sum(report.ok for report in reports),
        failed=sum(report.failed for report in reports),
        wall_seconds=wall,
        body_bytes=sum(report.body_bytes for report in reports),
        latencies=tuple(sorted(x for report in reports for x in report.latencies)),
        errors=errors,
        server=meter.usage,
        client_cpu_seconds=sum(report.cpu_seconds for report in reports),
        challenges=sum(report.challenges for report in reports),
        token_requests=sum(report.token_requests for report in reports),
    )


def _baseline(results: list[FanoutResult], label: str, mode: str) -> FanoutResult | None:
    """The row of ``label`` in ``mode``, else its first row; None if the server has none."""
    rows = [r for r in results if r.label == label]
    return next((r for r in rows if r.mode == mode), rows[0] if rows else None)


def fanout_table(results: list[FanoutResult]) -> str:
    """A row per server and mode; the ratios compare server CPU per GB and wall time with
    cargohold's first mode (anonymous with ``all``) and with the other server's run (in the
    same mode when it has one)."""
    first = results[0]
    other = next((r.label for r in results if r.label != first.label), None)
    header = [
        "server",
        "pull auth",
        "pulls OK",
        "failed",
        "401s",
        "token requests",
        "wall (s)",
        "pulls/s",
        "MB/s",
        "p50 pull (ms)",
        "p99 pull (ms)",
        "server CPU (s)",
        "server CPU s/GB",
        "RSS before (MiB)",
        "RSS peak (MiB)",
        "server procs",
        "client CPU (s)",
        f"CPU/GB vs {first.label} {first.mode}",
        f"wall vs {first.label} {first.mode}",
    ]
    if other is not None:
        header += [f"CPU/GB vs {other}", f"wall vs {other}"]
    rows = []
    for r in results:
        row = [
            r.label,
            r.mode,
            number(r.ok, 0),
            number(r.failed, 0),
            number(r.challenges, 0),
            number(r.token_requests, 0),
            number(r.wall_seconds, 2),
            number(r.pulls_per_second),
            number(r.megabytes_per_second),
            number(1000 * percentile(r.latencies, 0.5)),
            number(1000 * percentile(r.latencies, 0.99)),
            number(r.server.cpu_seconds, 2),
            number(r.cpu_seconds_per_gigabyte, 2),
            number(r.server.rss_before / MIB),
            number(r.server.rss_peak / MIB),
            number(r.server.processes, 0),
            number(r.client_cpu_seconds, 2),
            ratio(r.cpu_seconds_per_gigabyte, first.cpu_seconds_per_gigabyte),
            ratio(r.wall_seconds, first.wall_seconds),
        ]
        if other is not None:
            base = _baseline(results, other, r.mode)
            if base is None:
                row += ["n/a", "n/a"]
            else:
                row += [
                    ratio(r.cpu_seconds_per_gigabyte, base.cpu_seconds_per_gigabyte),
                    ratio(r.wall_seconds, base.wall_seconds),
                ]
        rows.append(row)
    return markdown(header, rows)


def login_lines(results: list[FanoutResult]) -> list[str]:
    """How many machines met a 401 and asked for a token, per run."""
    return [
        f"- {r.label} ({r.mode}): {r.challenges} answers 401 and {r.token_requests} token "
        f"requests for {r.machines} machines"
        for r in results
    ]


def error_lines(results: list[FanoutResult], limit: int = 5) -> list[str]:
    lines = []
    for result in results:
        for message, count in result.errors.most_common(limit):
            lines.append(f"- {result.label} ({result.mode}): {count} x {message}")
    return lines


def describe(image: Image, options: FanoutOptions) -> str:
    return (
        f"{options.machines} machines, at most {options.concurrency} pulling at once "
        f"(<= {3 * options.concurrency} connections), {options.processes} client processes; "
        f"image {len(image.layers)} layers, {image.total_bytes / MIB:.1f} MiB per pull; "
        f"pull auth {', '.join(options.modes)}, each on a freshly started server"
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
    parser.add_argument(
        "--pull-auth",
        choices=(*fleet.MODES, "all"),
        default=defaults.pull_auth,
        help="how the machines log in to cargohold: anonymously, with the fleet account's "
        "password or its API token (registry token flow); all: each in turn",
    )


def options_from(args: argparse.Namespace) -> FanoutOptions:
    return FanoutOptions(
        machines=args.machines,
        concurrency=args.concurrency,
        processes=args.procs,
        timeout=args.timeout,
        pull_auth=args.pull_auth,
    )
