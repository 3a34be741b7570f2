"""Fan-out: N machines pull the same image at once, from cargohold and from docker-registry.

    .venv/bin/python -m bench.run --only fanout --machines 1000

Builds an image of ``--layers`` layers (default 5) of ``--layer-mib`` MiB of random bytes each
(default 2), pushes it to both servers, then lets
the simulated machines (see ``bench/pullers.py``) pull it, spread over several client
processes. At most ``--concurrency`` machines pull at the same moment (each with up to three
layer downloads, so at most three times as many connections); the others queue for a slot,
as in a rollout that starts everywhere at once behind a bounded connection budget.

``--pull-auth`` says how the machines log in (see ``bench/fleet.py``): anonymously, with the
fleet account's password or with its API token, each through the registry token flow; ``all``
runs each of them against cargohold. Every run starts on a freshly started server, so that no
cache is warm from the push or from the run before; docker-registry, which has no auth, is
pulled once.

``--topology`` says what cargohold runs as (see ``bench/topology.py``): one node, a cluster of
two nodes on PostgreSQL and S3 behind nginx, or that cluster with blob GETs redirected to
presigned URLs of the object store; the CPU of each node is metered, and that of PostgreSQL,
SeaweedFS and nginx apart, and the statements the nodes send to PostgreSQL are counted.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from bench import fleet
from bench.clients import ClientProcesses
from bench.fleet import PullAuth
from bench.image import Image
from bench.meter import GroupMeter, Usage
from bench.pullers import PullPlan, pull_worker
from bench.servers import CARGOHOLD, Servers, Target
from bench.statements import StatementCounter, Statements
from bench.tables import MIB
from bench.topology import SINGLE, TOPOLOGIES, ClusterServers, Groups


@dataclass(frozen=True, slots=True)
class FanoutOptions:
    machines: int = 1000
    concurrency: int = 64
    processes: int = 2
    timeout: float = 300.0
    pull_auth: str = "all"
    topology: str = SINGLE
    layers: int = 5
    layer_mib: float = 2.0
    rounds: int = 1

    @property
    def layer_bytes(self) -> int:
        return round(self.layer_mib * MIB)

    @property
    def modes(self) -> tuple[str, ...]:
        return fleet.MODES if self.pull_auth == "all" else (self.pull_auth,)

    @property
    def topologies(self) -> tuple[str, ...]:
        return TOPOLOGIES if self.topology == "all" else (self.topology,)


@dataclass(frozen=True, slots=True)
class FanoutResult:
    label: str
    topology: str
    mode: str
    machines: int
    ok: int
    failed: int
    wall_seconds: float
    body_bytes: int
    latencies: tuple[float, ...]  # sorted, seconds
    errors: Counter[str]
    server: Usage  # cargohold's nodes together
    node_cpu_seconds: tuple[float, ...]  # each node's
    services: tuple[tuple[str, float], ...]  # CPU seconds of what the nodes share
    client_cpu_seconds: float
    challenges: int  # 401 answers the machines received
    token_requests: int
    redirects: int  # blob GETs redirected, and followed
    statements: Statements | None = None  # what the nodes sent to PostgreSQL; None: SQLite
    rounds: tuple[float, ...] = ()  # server CPU s/GB of every round of this mode (``--rounds``)

    @property
    def pulls_per_second(self) -> float:
        return self.ok / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return self.body_bytes / 1e6 / self.wall_seconds if self.wall_seconds else 0.0

    def per_gigabyte(self, cpu_seconds: float) -> float:
        gigabytes = self.body_bytes / 1e9
        return cpu_seconds / gigabytes if gigabytes else float("nan")

    @property
    def cpu_seconds_per_gigabyte(self) -> float:
        return self.per_gigabyte(self.server.cpu_seconds)

    @property
    def stack_cpu_seconds_per_gigabyte(self) -> float:
        """The nodes, PostgreSQL, the object store and the load balancer together."""
        shared = sum(seconds for _, seconds in self.services)
        return self.per_gigabyte(self.server.cpu_seconds + shared)

    def service_cpu(self, name: str) -> float:
        return next((seconds for n, seconds in self.services if n == name), float("nan"))

    @property
    def node_cpu_ms_per_pull(self) -> float:
        """The nodes' CPU (together) per completed pull."""
        return 1000 * self.server.cpu_seconds / self.ok if self.ok else float("nan")

    def per_pull(self, count: float) -> float:
        return count / self.ok if self.ok else float("nan")

    @property
    def idle_statements(self) -> float:
        """Statements the nodes would have sent in the run's time without any pull."""
        return self.statements.idle_per_second * self.wall_seconds if self.statements else 0.0


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
    labels = [target.label for target in servers.targets]
    if SINGLE not in options.topologies:  # cargohold runs as a cluster only
        labels.remove(CARGOHOLD)
    for label in labels:
        target = next(t for t in servers.targets if t.label == label)
        # A server without auth is pulled once, by machines holding the last mode's
        # credentials, which it never asks for.
        modes = options.modes if target.auth is not None else options.modes[-1:]
        rounds = options.rounds if target.auth is not None else 1
        runs = []
        for round in range(rounds):  # the modes in turn, so that drift hits each alike
            for mode in modes:
                auth = fleet.prepare(target, repository, mode)
                target = servers.restart(label)
                print(
                    f"fan-out pull from {label} ({auth.mode}, round {round + 1} of {rounds}) ...",
                    file=sys.stderr,
                    flush=True,
                )
                runs.append(run_fanout(target, image, options, auth))
        results += medians(runs)
    return results


def run_cluster_fanouts(
    cluster: ClusterServers, image: Image, options: FanoutOptions
) -> list[FanoutResult]:
    """The cluster in each of ``options.modes``, its nodes restarted before each run; the
    image must be pushed already (through the load balancer)."""
    repository = image.name.partition("/")[0]
    results = []
    for mode in options.modes:
        auth = fleet.prepare(cluster.target, repository, mode)
        target = cluster.restart()
        cluster.statements.measure_idle()
        print(
            f"fan-out pull from {cluster.topology} ({auth.mode}) ...", file=sys.stderr, flush=True
        )
        results.append(
            run_fanout(
                target, image, options, auth, cluster.groups(), cluster.topology, cluster.statements
            )
        )
    return results


def medians(runs: list[FanoutResult]) -> list[FanoutResult]:
    """Per mode, in the order of the runs, the run with the median server CPU per GB (the
    lower one of an even count), holding every round's figure in ``rounds``."""
    by_mode: dict[str, list[FanoutResult]] = {}
    for run in runs:
        by_mode.setdefault(run.mode, []).append(run)
    chosen = []
    for group in by_mode.values():
        ordered = sorted(group, key=lambda r: r.cpu_seconds_per_gigabyte)
        middle = ordered[(len(ordered) - 1) // 2]
        figures = tuple(r.cpu_seconds_per_gigabyte for r in group)
        chosen.append(dataclasses.replace(middle, rounds=figures))
    return chosen


def _together(usages: list[Usage]) -> Usage:
    return Usage(
        cpu_seconds=sum(u.cpu_seconds for u in usages),
        rss_before=sum(u.rss_before for u in usages),
        rss_peak=sum(u.rss_peak for u in usages),  # each node's peak, not a joint one
        processes=sum(u.processes for u in usages),
    )


def run_fanout(
    target: Target,
    image: Image,
    options: FanoutOptions,
    auth: PullAuth,
    groups: Groups | None = None,
    topology: str = SINGLE,
    statements: StatementCounter | None = None,
) -> FanoutResult:
    """Pull ``options.machines`` times from one server; the image must be pushed already.

    ``groups``: the process groups to meter (by default the target's, as its one node);
    ``statements``: counts the statements of the nodes' database during the run."""
    groups = groups or Groups((target.pgid,))
    plans = _plans(target, image, options, auth)
    with ClientProcesses(pull_worker, plans, "puller") as clients, ExitStack() as metering:
        if statements is not None:
            metering.enter_context(statements)  # reset now, read after the meters
        nodes = [metering.enter_context(GroupMeter(pgid)) for pgid in groups.nodes]
        services = [
            (name, metering.enter_context(GroupMeter(pgid, interval=0.5)))
            for name, pgid in groups.services
        ]
        started = time.monotonic()
        reports = clients.run(options.timeout)
        wall = time.monotonic() - started
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report.errors)
    return FanoutResult(
        label=target.label,
        topology=topology,
        mode=auth.mode,
        machines=options.machines,
        ok=sum(report.ok for report in reports),
        failed=sum(report.failed for report in reports),
        wall_seconds=wall,
        body_bytes=sum(report.body_bytes for report in reports),
        latencies=tuple(sorted(x for report in reports for x in report.latencies)),
        errors=errors,
        server=_together([meter.usage for meter in nodes]),
        node_cpu_seconds=tuple(meter.usage.cpu_seconds for meter in nodes),
        services=tuple((name, meter.usage.cpu_seconds) for name, meter in services),
        client_cpu_seconds=sum(report.cpu_seconds for report in reports),
        challenges=sum(report.challenges for report in reports),
        token_requests=sum(report.token_requests for report in reports),
        redirects=sum(report.redirects for report in reports),
        statements=statements.result if statements is not None else None,
    )


def describe(image: Image, options: FanoutOptions) -> str:
    return (
        f"{options.machines} machines, at most {options.concurrency} pulling at once "
        f"(<= {3 * options.concurrency} connections), {options.processes} client processes; "
        f"image {len(image.layers)} layers of {options.layer_mib:g} MiB, "
        f"{image.total_bytes / MIB:.1f} MiB per pull; "
        f"pull auth {', '.join(options.modes)}, each on a freshly started server; "
        f"cargohold as {', '.join(options.topologies)}"
    )


def _positive(kind: type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


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
    parser.add_argument(
        "--topology",
        choices=(*TOPOLOGIES, "all"),
        default=defaults.topology,
        help="cargohold as one node (SQLite, files), as two nodes on PostgreSQL and S3 "
        "behind nginx (cluster), the same with blob GETs redirected to presigned URLs "
        "(cluster-presigned); all: each in turn",
    )
    parser.add_argument(
        "--layers", type=_positive(int), default=defaults.layers, help="layers of the image"
    )
    parser.add_argument(
        "--pull-rounds",
        type=_positive(int),
        default=defaults.rounds,
        help="runs of each mode against the single node, in turn; the table shows each mode's "
        "median run (by server CPU per GB) and a line lists every round",
    )
    parser.add_argument(
        "--layer-mib",
        type=_positive(float),
        default=defaults.layer_mib,
        help="MiB of random bytes in each layer (gzipped, so a little more on the wire)",
    )


def options_from(args: argparse.Namespace) -> FanoutOptions:
    return FanoutOptions(
        machines=args.machines,
        concurrency=args.concurrency,
        processes=args.procs,
        timeout=args.timeout,
        pull_auth=args.pull_auth,
        topology=args.topology,
        layers=args.layers,
        layer_mib=args.layer_mib,
        rounds=args.pull_rounds,
    )
