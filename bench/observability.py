"""What metrics and the access log cost the request a fleet makes most: a manifest GET by tag
by a machine holding the bearer token the registry token flow gave the fleet's pull account.

    .venv/bin/python -m bench.observability --duration 10 --rounds 3

Four cargohold servers, the same in all but two settings (metrics and the access log: both
on, the defaults; one of them off; both off), each with its own data directory holding the
same image in a private repository, are loaded in turn over HTTP for ``--duration`` seconds
on ``--connections`` keep-alive connections (wrk when it can be had, as ``bench.run --only
small``); each figure is the median of ``--rounds`` rounds. The access log is written where a
server's log goes (a file here). Server CPU is of each server's whole process group.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench import fleet
from bench.image import build_image, push_image
from bench.pullers import DOCKER_ACCEPT
from bench.servers import ServerProcess, Target, start_cargohold
from bench.small_requests import Endpoint, RateOptions, RateResult, find_wrk, measure_rate
from bench.tables import markdown, number, ratio

CONFIGURATIONS: dict[str, dict[str, str]] = {
    "metrics and access log (default)": {},
    "metrics, no access log": {"CARGOHOLD_ACCESS_LOG": "off"},
    "access log, no metrics": {"CARGOHOLD_METRICS": "off"},
    "neither": {"CARGOHOLD_METRICS": "off", "CARGOHOLD_ACCESS_LOG": "off"},
}
BASELINE = "neither"


def fleet_token(target: Target, repository: str, name: str) -> str:
    """The bearer token a machine of the fleet holds after ``docker login`` and its first
    pull: the pull account's, for pulling ``name``."""
    auth = fleet.prepare(target, repository, fleet.PASSWORD)
    assert auth.credentials is not None
    answer = httpx.get(
        f"{target.base_url}/v2/token",
        params={"service": "cargohold", "scope": f"repository:{name}:pull"},
        auth=auth.credentials,
        timeout=30.0,
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def manifest_get(target: Target, name: str, tag: str, token: str) -> Endpoint:
    headers = tuple(("Accept", media_type) for media_type in DOCKER_ACCEPT)
    headers += (("Authorization", f"Bearer {token}"),)
    return Endpoint("manifest GET by tag", "GET", f"/v2/{name}/manifests/{tag}", headers)


def run(options: RateOptions, workers: int) -> list[RateResult]:
    wrk = None if options.client == "python" else find_wrk(allow_install=True)
    image = build_image(layers=2, layer_bytes=64 * 1024)
    repository = image.name.split("/", 1)[0]
    with tempfile.TemporaryDirectory(prefix="cargohold-bench-obs-") as tmp, ExitStack() as stack:
        started: list[tuple[str, ServerProcess, Target]] = []
        for index, (label, settings) in enumerate(CONFIGURATIONS.items()):
            workdir = Path(tmp) / f"server-{index}"
            workdir.mkdir()
            process, target = start_cargohold(workdir, workers, settings)
            stack.callback(process.stop)
            started.append((label, process, target))
        endpoints = {}
        for label, process, target in started:
            process.wait_ready(f"{target.base_url}/api/v1/health", (200,))
            push_image(target, image)
            token = fleet_token(target, repository, image.name)
            endpoints[label] = manifest_get(target, image.name, image.tag, token)
        rounds: dict[str, list[RateResult]] = {label: [] for label in CONFIGURATIONS}
        for _ in range(max(1, options.rounds)):
            for label, _process, target in started:  # in turn: the machine's noise on all
                rounds[label].append(measure_rate(target, endpoints[label], options, wrk))
    chosen = []
    for label, results in rounds.items():
        ranked = sorted(results, key=lambda result: result.per_second)
        median = ranked[len(ranked) // 2]
        chosen.append(dataclasses.replace(median, label=label))
    return chosen


def table(results: list[RateResult]) -> str:
    base = next(result for result in results if result.label == BASELINE)
    header = ["manifest GET by tag, bearer token", "req/s", "server CPU µs/req", "CPU vs neither"]
    rows = [
        [
            f"{result.label} [{result.tool}]",
            number(result.per_second, 0),
            number(result.cpu_us_per_request, 1),
            ratio(result.cpu_us_per_request, base.cpu_us_per_request),
        ]
        for result in results
    ]
    failures = sum(result.failures for result in results)
    note = f"\n{failures} failed requests" if failures else ""
    return markdown(header, rows) + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="cargohold worker processes")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    options = RateOptions(
        duration=args.duration,
        connections=args.connections,
        client=args.client,
        rounds=args.rounds,
    )
    print(table(run(options, args.workers)))


if __name__ == "__main__":
    main()
