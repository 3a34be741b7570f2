"""A fleet cold-pulling through a pull-through cache: cargohold's remote repository beside
docker-registry in proxy mode, in front of the same upstream, in one run.

    .venv/bin/python -m bench.remote                                  # a quick, small run
    .venv/bin/python -m bench.remote --machines 1000 --concurrency 200

The upstream is Debian's ``docker-registry`` (open, with its access log on) holding one image
of ``--layers`` layers of ``--layer-mib`` MiB of random bytes (``bench/image.py``). In front
of it, both cold: cargohold with a remote repository ``hub`` whose upstream it is (pulled as
``hub/bench/app``), and a second docker-registry whose ``proxy.remoteurl`` it is (pulled as
``bench/app``). Each in turn, ``--machines`` simulated machines (``bench/pullers.py``: dockerd's
requests, every blob's SHA-256 checked) pull the image, at most ``--concurrency`` at once. On
cargohold they log in as a fleet does, with one pull account through the registry token flow
(``--pull-auth``, see ``bench/fleet.py``); docker-registry's proxy mode has no auth.

Per cache: pulls OK and failed, wall time, the requests the upstream answered while that cache
was pulled through (from its access log: manifests, blob GETs, blob HEADs, the rest, and the
bytes of its GETs; the count waits until the upstream has been quiet for half a second, as a cache
may go on fetching after its clients are served), server CPU (every process of the cache's
process group, from /proc, until the upstream is quiet) per GB the machines received, the
upstream's own CPU, and the ratios cargohold / docker-registry. It never judges time.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.upstreams import Access, DockerRegistry

from bench import fleet
from bench.fanout import FanoutOptions, FanoutResult, run_fanout
from bench.image import Image, build_image, push_image
from bench.meter import GroupMeter
from bench.servers import HOST, ServerProcess, Target, looks_wrong, start_cargohold
from bench.tables import MIB, markdown, number, ratio

NAME = "bench/app"  # the image's name upstream, and through docker-registry's proxy
REMOTE = "hub"  # cargohold's remote repository: the image is hub/bench/app there
CARGOHOLD = "cargohold remote"
PROXY = "docker-registry proxy"
NOT_THERE = "cargohold skipped: creating the remote repository answered"
QUIET = 0.5  # seconds without a new upstream request before counting them
SETTLE_LIMIT = 60.0


@dataclass(frozen=True, slots=True)
class UpstreamRequests:
    """What the upstream answered while one cache was pulled through."""

    manifests: int
    blob_gets: int
    blob_heads: int
    other: int
    get_bytes: int

    @classmethod
    def of(cls, accesses: list[Access]) -> UpstreamRequests:
        kinds: Counter[str] = Counter()
        for access in accesses:
            if "/manifests/" in access.path:
                kinds["manifests"] += 1
            elif "/blobs/" in access.path:
                kinds["blob_gets" if access.method == "GET" else "blob_heads"] += 1
            else:
                kinds["other"] += 1
        sent = sum(a.size for a in accesses if a.method == "GET")
        return cls(
            kinds["manifests"], kinds["blob_gets"], kinds["blob_heads"], kinds["other"], sent
        )


@dataclass(frozen=True, slots=True)
class CacheResult:
    label: str
    pull: FanoutResult
    upstream: UpstreamRequests
    cpu_seconds: float  # the cache's process group, until the upstream was quiet
    upstream_cpu_seconds: float

    @property
    def cpu_seconds_per_gigabyte(self) -> float:
        return self.pull.per_gigabyte(self.cpu_seconds)


def settle(upstream: DockerRegistry) -> int:
    """Wait until the upstream has answered nothing new for ``QUIET`` seconds; how many
    requests it has answered in all."""
    deadline = time.monotonic() + SETTLE_LIMIT
    seen = len(upstream.accesses())
    while time.monotonic() < deadline:
        time.sleep(QUIET)
        now = len(upstream.accesses())
        if now == seen:
            break
        seen = now
    return seen


def pull_through(
    label: str,
    target: Target,
    image: Image,
    options: FanoutOptions,
    auth: fleet.PullAuth,
    upstream: DockerRegistry,
) -> CacheResult:
    """The fleet pulls ``image`` from ``target``, metered with the upstream's requests."""
    assert upstream.process is not None
    print(f"{options.machines} machines pulling through {label} ...", file=sys.stderr, flush=True)
    before = settle(upstream)
    with GroupMeter(target.pgid) as cache, GroupMeter(upstream.process.pid) as origin:
        pulled = run_fanout(target, image, options, auth)
        settle(upstream)
    return CacheResult(
        label=label,
        pull=dataclasses.replace(pulled, label=label),
        upstream=UpstreamRequests.of(upstream.accesses()[before:]),
        cpu_seconds=cache.usage.cpu_seconds,
        upstream_cpu_seconds=origin.usage.cpu_seconds,
    )


def create_remote(target: Target, upstream: str) -> str | None:
    """The remote repository ``hub`` on cargohold; None once made, else why it was not."""
    body = {"key": REMOTE, "format": "docker", "kind": "remote", "upstream": upstream}
    answer = httpx.post(
        f"{target.base_url}/api/v1/repositories", json=body, auth=target.auth, timeout=30
    )
    if answer.status_code == 201:
        return None
    return f"{answer.status_code} {answer.text[:300]}"


def start_cargohold_cache(
    workdir: Path, workers: int, upstream: str, stack: ExitStack
) -> tuple[ServerProcess, Target, str | None]:
    process, target = start_cargohold(workdir, workers)
    stack.callback(process.stop)
    process.wait_ready(f"{target.base_url}/api/v1/health", (200,))
    return process, target, create_remote(target, upstream)


def _target(label: str, registry: DockerRegistry) -> Target:
    assert registry.process is not None
    return Target(label, HOST, registry.port, registry.process.pid, None)


def report(image: Image, options: FanoutOptions, results: list[CacheResult]) -> str:
    reference = next((r for r in results if r.label == PROXY), None)
    header = [
        "cache",
        "pull auth",
        "pulls ok",
        "failed",
        "wall s",
        "MB/s",
        "upstream manifest reqs",
        "upstream blob GETs",
        "upstream blob HEADs",
        "upstream other reqs",
        "upstream MB sent",
        "server CPU s",
        "CPU s/GB",
        "upstream CPU s",
        "CPU/GB vs proxy",
        "wall vs proxy",
    ]
    rows = []
    for result in results:
        pull = result.pull
        rows.append(
            [
                result.label,
                pull.mode,
                str(pull.ok),
                str(pull.failed),
                number(pull.wall_seconds),
                number(pull.megabytes_per_second),
                str(result.upstream.manifests),
                str(result.upstream.blob_gets),
                str(result.upstream.blob_heads),
                str(result.upstream.other),
                number(result.upstream.get_bytes / 1e6),
                number(result.cpu_seconds),
                number(result.cpu_seconds_per_gigabyte, 2),
                number(result.upstream_cpu_seconds),
                ratio(result.cpu_seconds_per_gigabyte, reference.cpu_seconds_per_gigabyte)
                if reference
                else "n/a",
                ratio(pull.wall_seconds, reference.pull.wall_seconds) if reference else "n/a",
            ]
        )
    objects = 1 + 1 + len(image.layers)
    lines = [
        f"{options.machines} machines cold-pulling, at most {options.concurrency} at once, "
        f"{options.processes} client processes; image {len(image.layers)} layers of "
        f"{options.layer_mib:g} MiB, {image.total_bytes / MIB:.1f} MiB per pull, "
        f"{objects} objects (a manifest, a config, the layers): the fewest upstream "
        f"requests are {objects}",
        "",
        markdown(header, rows),
    ]
    for result in results:
        for reason, count in result.pull.errors.most_common(5):
            lines.append(f"{result.label}: {count} failed pulls: {reason}")
    return "\n".join(lines)


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--machines", type=_positive(int), default=50)
    parser.add_argument(
        "--concurrency", type=_positive(int), default=50, help="machines pulling at once"
    )
    parser.add_argument("--procs", type=_positive(int), default=2, help="client processes")
    parser.add_argument("--timeout", type=_positive(float), default=300.0, help="s per cache")
    parser.add_argument("--workers", type=_positive(int), default=2, help="cargohold workers")
    parser.add_argument("--layers", type=_positive(int), default=5)
    parser.add_argument("--layer-mib", type=_positive(float), default=1.0)
    parser.add_argument(
        "--pull-auth",
        choices=(fleet.PASSWORD, fleet.TOKEN, fleet.ANONYMOUS),
        default=fleet.PASSWORD,
        help="how the machines log in to cargohold (registry token flow)",
    )
    args = parser.parse_args()
    options = FanoutOptions(
        machines=int(args.machines),
        concurrency=int(args.concurrency),
        processes=int(args.procs),
        timeout=args.timeout,
        layers=int(args.layers),
        layer_mib=args.layer_mib,
    )
    image = build_image(options.layers, options.layer_bytes)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cargohold-bench-remote-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        upstream = DockerRegistry(workdir / "upstream").start()
        stack.callback(upstream.stop)
        push_image(_target("upstream", upstream), dataclasses.replace(image, name=NAME))
        results = []

        process, target, refused = start_cargohold_cache(
            workdir, int(args.workers), upstream.url, stack
        )
        if refused is None:
            auth = fleet.prepare(target, REMOTE, args.pull_auth)
            through = dataclasses.replace(image, name=f"{REMOTE}/{NAME}")
            results.append(pull_through(CARGOHOLD, target, through, options, auth, upstream))
        else:
            print(f"{NOT_THERE} {refused}", flush=True)
        process.stop()

        proxy = DockerRegistry(workdir / "proxy", proxy=upstream.url).start()
        stack.callback(proxy.stop)
        proxied = dataclasses.replace(image, name=NAME)
        no_auth = fleet.PullAuth(fleet.NO_AUTH, None)
        results.append(
            pull_through(PROXY, _target(PROXY, proxy), proxied, options, no_auth, upstream)
        )
        print(report(image, options, results))
        for label, log in (("cargohold", process.log), ("docker-registry proxy", proxy.log_path)):
            wrong = [
                line for line in log.read_text(errors="replace").splitlines() if looks_wrong(line)
            ]
            if wrong:
                print(f"{label}: {len(wrong)} log lines look like errors, the first ones:")
                for line in wrong[:3]:
                    print(f"    {line[:300]}")
    print(f"total time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
