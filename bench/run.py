"""Every benchmark against cargohold and docker-registry in one run, then all the tables.

    .venv/bin/python -m bench.run                 # 1000 machines, 10 s per small-request test
    .venv/bin/python -m bench.run --machines 200 --duration 5
    .venv/bin/python -m bench.run --against uvicorn   # cargohold's server or uvicorn, same app
    .venv/bin/python -m bench.run --only fanout --topology all   # also as a cluster
    .venv/bin/python -m bench.run --only push --jobs 200   # CI jobs pushing, by way of auth

Both servers start fresh in a temporary directory, get the same image pushed, serve the fan-out
pull (cargohold once per ``--pull-auth`` mode, restarted before each run) and then the
small-request load, and are stopped at the end whatever happens. With ``--topology``
``cluster`` or ``cluster-presigned`` the fan-out pull also runs against a cluster of
cargohold nodes (``bench/topology.py``), started after the single-node runs, pushed to
through its load balancer and stopped before the next one. The push benchmark
(``bench/pushes.py``) runs only when asked for (``--only push``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench import fanout, fanout_report, push_report, pushes, small_requests
from bench.fleet import anonymous_pulls
from bench.image import build_image, push_image
from bench.servers import CARGOHOLD, REFERENCE, UVICORN, Servers
from bench.topology import SINGLE, ClusterServers

TITLES = {
    REFERENCE: "cargohold vs docker-registry",
    UVICORN: "cargohold's app on its own HTTP server (cargohold) vs on uvicorn",
}
WORKER_COUNTED = {REFERENCE: ("cargohold",), UVICORN: ("cargohold", "uvicorn")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    fanout.add_arguments(parser)
    small_requests.add_arguments(parser)
    pushes.add_arguments(parser)
    parser.add_argument(
        "--only",
        choices=("all", "fanout", "small", "push"),
        default="all",
        help="all: the fan-out pull and the small requests (the push runs only on its own)",
    )
    parser.add_argument(
        "--against",
        choices=(REFERENCE, UVICORN),
        default=REFERENCE,
        help="what cargohold is compared with: the reference registry, or the same app on "
        "uvicorn with as many workers",
    )
    args = parser.parse_args()
    pull_options = fanout.options_from(args)
    rate_options = small_requests.options_from(args)
    push_options = pushes.options_from(args)
    started = time.monotonic()
    image = build_image(pull_options.layers, pull_options.layer_bytes)
    pulls: list[fanout.FanoutResult] = []
    rates: list[small_requests.RateResult] = []
    pushed: list[pushes.PushResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="cargohold-bench-") as workdir,
        Servers(Path(workdir), args.workers, args.against) as servers,
    ):
        repository = image.name.partition("/")[0]
        if args.only != "push":
            for target in servers.targets:
                push_image(target, image)
        if args.only == "push":
            pushed = pushes.run_pushes(servers, push_options)
        if args.only in ("all", "fanout"):
            pulls = fanout.run_fanouts(servers, image, pull_options)
        if args.only in ("all", "small"):
            for target in servers.targets:  # the small requests are anonymous
                anonymous_pulls(target, repository, True)
            print("small requests ...", file=sys.stderr, flush=True)
            rates = small_requests.run_rates(servers.targets, image, rate_options)
        problems = servers.problems()
    if args.only in ("all", "fanout"):
        for topology in pull_options.topologies:
            if topology != SINGLE:
                print(f"starting {topology} ...", file=sys.stderr, flush=True)
                with ClusterServers(topology, args.workers) as cluster:
                    push_image(cluster.target, image)
                    pulls += fanout.run_cluster_fanouts(cluster, image, pull_options)
                    problems.update(cluster.problems())
    print(
        f"# {TITLES[args.against]} on {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, "
        f"{args.workers} worker processes for {' and '.join(WORKER_COUNTED[args.against])}\n"
    )
    if pulls:
        print(f"## Fan-out pull: {fanout.describe(image, pull_options)}\n")
        pulls.sort(key=lambda r: r.label != CARGOHOLD)  # docker-registry's run last
        print(fanout_report.fanout_table(pulls))
        for line in [
            *fanout_report.login_lines(pulls),
            *fanout_report.round_lines(pulls),
            *fanout_report.statement_lines(pulls),
            *fanout_report.error_lines(pulls),
        ]:
            print(line)
        print()
    if pushed:
        print(f"## Push: {pushes.describe(push_options)}\n")
        print(push_report.push_table(pushed))
        for line in push_report.detail_lines(pushed):
            print(line)
        print()
    if rates:
        print(f"## Small requests: {small_requests.describe(rates, rate_options)}\n")
        print(small_requests.rates_table(rates))
        print()
    for label, lines in problems.items():
        print(f"{label} log: {len(lines)} error lines; the first ones:")
        for line in lines[:5]:
            print(f"    {line[:300]}")
    print(f"total time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
