"""Small requests: requests per second for a manifest GET by tag and a blob HEAD.

    .venv/bin/python -m bench.run --only small --duration 10 --connections 64

Each server is loaded for a fixed time over a fixed number of keep-alive connections, with
``wrk`` when it is installed (the load generator that leaves the most CPU to the server; as
root it is installed with ``apt-get install -y wrk`` when missing) and otherwise with
asyncio client processes (``bench/wire.py``). wrk 4.1 cannot read the answer to a HEAD (it
waits for the Content-Length bytes that never come), so the blob HEAD always uses the asyncio
client. The manifest GET carries Docker's four Accept fields, one per line, as dockerd sends
them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path

from bench.image import Image
from bench.meter import GroupMeter, Usage
from bench.pullers import DOCKER_ACCEPT, USER_AGENT
from bench.servers import Target
from bench.tables import MIB, markdown, number, percentile, ratio
from bench.wire import Connection

WRK_RESULT = "BENCH-RESULT "
LUA = """
local raw = %(request)s
request = function()
  return raw
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "%(marker)s{\\"requests\\":%%d,\\"duration_us\\":%%d,\\"errors\\":%%d,"
    .. "\\"status_errors\\":%%d,\\"p50_us\\":%%d,\\"p99_us\\":%%d}\\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True, slots=True)
class Endpoint:
    label: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]

    @property
    def wrk_can_read(self) -> bool:
        return self.method != "HEAD"


@dataclass(frozen=True, slots=True)
class RateOptions:
    duration: float = 10.0
    connections: int = 64
    client: str = "auto"  # auto (wrk if it can be had), wrk, python
    processes: int = 2  # client processes (python) or threads (wrk)
    rounds: int = 3  # servers take turns; each figure is the median round


@dataclass(frozen=True, slots=True)
class RateResult:
    label: str
    endpoint: str
    tool: str
    requests: int
    seconds: float
    failures: int  # socket errors, timeouts and non-2xx answers
    p50_ms: float
    p99_ms: float
    server: Usage

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server.cpu_seconds / self.requests if self.requests else float("nan")


@dataclass(slots=True)
class _Tally:
    requests: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)


def endpoints(image: Image) -> list[Endpoint]:
    accept = tuple(("Accept", media_type) for media_type in DOCKER_ACCEPT)
    layer = image.layers[0].digest
    return [
        Endpoint("manifest GET by tag", "GET", f"/v2/{image.name}/manifests/{image.tag}", accept),
        Endpoint("blob HEAD", "HEAD", f"/v2/{image.name}/blobs/{layer}", ()),
    ]


def find_wrk(allow_install: bool) -> str | None:
    """The wrk binary; installed through apt-get (as root) when missing and allowed."""
    found = shutil.which("wrk")
    if found or not allow_install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "wrk"],
            check=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"could not install wrk ({exc}); using the Python client", flush=True)
        return None
    return shutil.which("wrk")


def _raw_request(target: Target, endpoint: Endpoint) -> str:
    lines = [f"{endpoint.method} {endpoint.path} HTTP/1.1", f"Host: {target.host}:{target.port}"]
    lines.append(f"User-Agent: {USER_AGENT}")
    lines.extend(f"{name}: {value}" for name, value in endpoint.headers)
    return "\r\n".join(lines) + "\r\n\r\n"


def _lua_string(text: str) -> str:
    return (
        '"' + "".join(f"\\{ord(char):03d}" if not char.isalnum() else char for char in text) + '"'
    )


def _run_wrk(
    wrk: str, target: Target, endpoint: Endpoint, options: RateOptions, workdir: Path
) -> tuple[_Tally, float]:
    script = workdir / "request.lua"
    script.write_text(
        LUA % {"request": _lua_string(_raw_request(target, endpoint)), "marker": WRK_RESULT}
    )
    threads = max(1, min(options.processes, options.connections))
    argv = [wrk, "-t", str(threads), "-c", str(options.connections)]
    argv += ["-d", f"{options.duration:.0f}s", "--timeout", "10s", "-s", str(script)]
    argv.append(target.base_url + endpoint.path)
    completed = subprocess.run(
        argv, capture_output=True, text=True, timeout=options.duration + 60, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(WRK_RESULT):
            data = json.loads(line[len(WRK_RESULT) :])
            tally = _Tally(
                requests=int(data["requests"]),
                failures=int(data["errors"]) + int(data["status_errors"]),
                latencies=[data["p50_us"] / 1e6, data["p99_us"] / 1e6],
            )
            return tally, data["duration_us"] / 1e6
    raise RuntimeError(f"wrk printed no result (exit {completed.returncode}): {completed.stderr}")


async def _hammer(host: str, port: int, endpoint: Endpoint, deadline: float, tally: _Tally) -> None:
    headers = [("User-Agent", USER_AGENT), *endpoint.headers]
    connection: Connection | None = None
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            if connection is None or not connection.usable:
                connection = await Connection.open(host, port)
            async with asyncio.timeout(10.0):
                response = await connection.request(endpoint.method, endpoint.path, headers)
        except (OSError, TimeoutError):
            tally.failures += 1
            connection = None
            continue
        tally.requests += 1
        tally.latencies.append(time.monotonic() - started)
        if not 200 <= response.status < 300:
            tally.failures += 1
    if connection is not None:
        connection.close()


def _python_worker(
    host: str,
    port: int,
    endpoint: Endpoint,
    connections: int,
    duration: float,
    results: Queue[_Tally],
) -> None:
    tally = _Tally()

    async def run() -> None:
        deadline = time.monotonic() + duration
        await asyncio.gather(
            *(_hammer(host, port, endpoint, deadline, tally) for _ in range(connections))
        )

    asyncio.run(run())
    results.put(tally)


def _run_python(target: Target, endpoint: Endpoint, options: RateOptions) -> tuple[_Tally, float]:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[_Tally] = context.Queue()
    workers = max(1, min(options.processes, options.connections))
    shares = [
        options.connections // workers + (i < options.connections % workers) for i in range(workers)
    ]
    args = (target.host, target.port, endpoint)
    processes = [
        context.Process(
            target=_python_worker, args=(*args, share, options.duration, results), daemon=True
        )
        for share in shares
    ]
    started = time.monotonic()
    total = _Tally()
    try:
        for process in processes:
            process.start()
        for _ in processes:
            tally = results.get(timeout=options.duration + 60)
            total.requests += tally.requests
            total.failures += tally.failures
            total.latencies.extend(tally.latencies)
        elapsed = time.monotonic() - started
        for process in processes:
            process.join(timeout=30)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
    total.latencies.sort()
    p50, p99 = percentile(total.latencies, 0.5), percentile(total.latencies, 0.99)
    total.latencies = [p50, p99]
    return total, min(elapsed, options.duration)


def check_endpoint(target: Target, endpoint: Endpoint) -> None:
    """One request first, so a broken endpoint is a clear error rather than a fast zero."""

    async def once() -> int:
        connection = await Connection.open(target.host, target.port)
        try:
            headers = [("User-Agent", USER_AGENT), *endpoint.headers]
            async with asyncio.timeout(30.0):
                response = await connection.request(endpoint.method, endpoint.path, headers)
        finally:
            connection.close()
        return response.status

    status = asyncio.run(once())
    if status != 200:
        raise RuntimeError(f"{target.label}: {endpoint.method} {endpoint.path} answered {status}")


def measure_rate(
    target: Target, endpoint: Endpoint, options: RateOptions, wrk: str | None
) -> RateResult:
    check_endpoint(target, endpoint)
    wrk = wrk if endpoint.wrk_can_read else None
    with (
        tempfile.TemporaryDirectory(prefix="cargohold-bench-wrk-") as workdir,
        GroupMeter(target.pgid) as meter,
    ):
        if wrk is not None:
            tally, seconds = _run_wrk(wrk, target, endpoint, options, Path(workdir))
        else:
            tally, seconds = _run_python(target, endpoint, options)
    return RateResult(
        label=target.label,
        endpoint=endpoint.label,
        tool="wrk" if wrk is not None else "python",
        requests=tally.requests,
        seconds=seconds,
        failures=tally.failures,
        p50_ms=1000 * tally.latencies[0],
        p99_ms=1000 * tally.latencies[1],
        server=meter.usage,
    )


def run_rates(targets: list[Target], image: Image, options: RateOptions) -> list[RateResult]:
    wrk = None if options.client == "python" else find_wrk(allow_install=True)
    if options.client == "wrk" and wrk is None:
        raise RuntimeError("wrk is not installed and could not be installed")
    chosen = []
    for endpoint in endpoints(image):
        rounds: dict[str, list[RateResult]] = {target.label: [] for target in targets}
        for _ in range(max(1, options.rounds)):
            for target in targets:  # taking turns spreads the machine's noise over both
                rounds[target.label].append(measure_rate(target, endpoint, options, wrk))
        for results in rounds.values():
            ranked = sorted(results, key=lambda result: result.per_second)
            chosen.append(ranked[len(ranked) // 2])
    return chosen


def rates_table(results: list[RateResult]) -> str:
    labels = list(dict.fromkeys(result.label for result in results))
    first, second = labels
    header = ["small requests", first, second, f"ratio {first} / {second}"]

    def line(name: str, a: float, b: float, digits: int) -> list[str]:
        return [name, number(a, digits), number(b, digits), ratio(a, b)]

    rows: list[list[str]] = []
    for endpoint in dict.fromkeys(result.endpoint for result in results):
        pair = {r.label: r for r in results if r.endpoint == endpoint}
        a, b = pair[first], pair[second]
        name = f"{endpoint} [{a.tool}]"
        rows += [
            line(f"{name}: req/s", a.per_second, b.per_second, 0),
            line(f"{name}: p50 latency (ms)", a.p50_ms, b.p50_ms, 2),
            line(f"{name}: p99 latency (ms)", a.p99_ms, b.p99_ms, 2),
            line(f"{name}: failures", a.failures, b.failures, 0),
            line(f"{name}: server CPU us/req", a.cpu_us_per_request, b.cpu_us_per_request, 1),
            line(
                f"{name}: server RSS peak (MiB)",
                a.server.rss_peak / MIB,
                b.server.rss_peak / MIB,
                1,
            ),
        ]
    return markdown(header, rows)


def describe(results: list[RateResult], options: RateOptions) -> str:
    tools = ", ".join(dict.fromkeys(result.tool for result in results)) or options.client
    return (
        f"{options.connections} keep-alive connections, {options.duration:.0f} s per endpoint "
        f"and server, median of {options.rounds} rounds taken in turns; load from {tools} "
        "([tool] after each endpoint)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = RateOptions()
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds")
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default=defaults.client)
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="median of N")
    parser.add_argument(
        "--client-procs",
        type=int,
        default=defaults.processes,
        help="wrk threads or Python client processes",
    )


def options_from(args: argparse.Namespace) -> RateOptions:
    return RateOptions(
        duration=args.duration,
        connections=args.connections,
        client=args.client,
        processes=args.client_procs,
        rounds=args.rounds,
    )
