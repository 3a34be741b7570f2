"""Garbage collection on a large instance: how long it takes, what it costs the server, and
what pushes and pulls feel while it runs.

    .venv/bin/python -m bench.gc                         # SQLite, 100,000 manifests
    .venv/bin/python -m bench.gc --database postgresql   # a PostgreSQL of its own
    .venv/bin/python -m bench.gc --manifests 1000 --blobs 2000 --seconds 5   # a small one

Starts ``cargohold serve`` once on a fresh data directory (it migrates), stops it, and writes
``--manifests`` manifests and ``--blobs`` blobs, ``--garbage`` of them held by nothing (the
images deleted days ago), straight into the database and the filesystem store
(``bench/gc_fixture.py``). Starts cargohold again on that data (no scheduled collection,
the default grace period) and measures, for ``--seconds``, the latency of ``--pushers`` CI
jobs pushing small images and ``--pullers`` machines pulling held ones, with docker's token
flow (``bench/gc_load.py``): first with no collection running, then a dry run alone, then
the same load while ``POST /api/v1/gc {"dryRun": false}`` runs, started with the window (a
collection that ends first ends the window). Prints the collection's own report, the
server's CPU and peak resident memory while it ran (and PostgreSQL's, with the statements
that took its time), and checks that the blob files left are exactly the blobs recorded,
none of the garbage and all of the held, and that a sample of held images still pulls.

Prints markdown tables; never asserts on time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.clients import ClientProcesses
from bench.gc_fixture import Fixture, build, stored_digests
from bench.gc_load import (
    PULL,
    PUSH,
    PUSH_LAYER_BYTES,
    PUSH_LAYERS,
    REQUEST_SLACK,
    LoadPlan,
    LoadReport,
    load_worker,
    pull_sample,
)
from bench.meter import GroupMeter, ProcessTree, Usage
from bench.servers import ADMIN, CARGOHOLD, HOST, ServerProcess, free_port
from bench.tables import MIB, markdown, number, percentile
from cargohold.meta.database import create_engine
from cargohold.meta.schema import blobs

GC_TIMEOUT = 3600.0  # a collection that takes longer is reported as failed
PULLER_IMAGES = 5_000  # held images the pullers pick from
SAMPLE = 200  # held images pulled after the collection
TOP_STATEMENTS = 6
_RESET = sa.text("SELECT pg_stat_statements_reset()")
_TOP = sa.text(
    "SELECT calls, total_exec_time AS ms, rows, query FROM pg_stat_statements "
    "WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = :database) "
    "ORDER BY total_exec_time DESC LIMIT :limit"
)


@dataclass(slots=True)
class Collection:
    """One ``POST /api/v1/gc`` as the benchmark saw it."""

    report: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    started: float = 0.0  # time.monotonic()
    ended: float = 0.0
    server: Usage | None = None
    postgres: Usage | None = None
    statements: list[tuple[int, float, int, str]] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return self.ended - self.started


@dataclass(slots=True)
class Instance:
    """The server under test and what it runs on."""

    workdir: Path
    database: str  # sqlite or postgresql
    url: str
    postgres_pid: int | None
    env: dict[str, str]
    workers: int
    process: ServerProcess | None = None
    port: int = 0

    @property
    def data(self) -> Path:
        return self.workdir / "cargohold-data"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "cargohold.cli.main", "serve"]
        argv += ["--listen", f"{HOST}:{self.port}", "--data-dir", str(self.data)]
        self.process = ServerProcess(CARGOHOLD, argv, self.env, self.workdir / "cargohold.log")
        self.process.wait_ready(f"{self.base_url}/api/v1/health", (200,))

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    @property
    def pgid(self) -> int:
        if self.process is None:
            raise RuntimeError("cargohold is not running")
        return self.process.pid


@contextmanager
def instance(kind: str, workdir: Path, workers: int) -> Iterator[Instance]:
    """cargohold's environment on SQLite in the data directory, or on a PostgreSQL started
    for the run (with ``pg_stat_statements``); the server is stopped on the way out."""
    env = {
        **os.environ,
        "CARGOHOLD_ADMIN_PASSWORD": ADMIN[1],
        "CARGOHOLD_WORKERS": str(workers),
        "CARGOHOLD_GC_INTERVAL_SECONDS": "0",
    }
    env.pop("CARGOHOLD_GC_GRACE_SECONDS", None)  # the default grace period
    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{workdir / 'cargohold-data' / 'cargohold.db'}"
            server = Instance(workdir, kind, url, None, env, workers)
        else:
            from tests.postgres import PostgresServer

            postgres = PostgresServer.start(count_statements=True)
            stack.callback(postgres.stop)
            url = postgres.empty_database()
            postgres.admin("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            env["CARGOHOLD_DATABASE_URL"] = url
            server = Instance(workdir, kind, url, postgres.pid, env, workers)
        stack.callback(server.stop)
        yield server


def fill(server: Instance, manifests: int, blob_count: int, garbage: float) -> Fixture:
    """Migrate (a first start of the server), then write the instance."""
    server.start()
    server.stop()
    engine = create_engine(server.url)
    try:
        return build(engine, server.data / "storage", manifests, blob_count, garbage)
    finally:
        engine.dispose()


def collect(server: Instance, dry_run: bool, collection: Collection) -> None:
    """``POST /api/v1/gc``, metering the server (and PostgreSQL) while it runs."""
    with ExitStack() as meters:
        engine = postgres = None
        if server.postgres_pid is not None:
            admin_url = server.url.rpartition("/")[0] + "/postgres"
            engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            meters.callback(engine.dispose)
            with engine.connect() as connection:
                connection.execute(_RESET)
            postgres = meters.enter_context(GroupMeter(ProcessTree(server.postgres_pid)))
        meter = meters.enter_context(GroupMeter(server.pgid))
        collection.started = time.monotonic()
        try:
            answer = httpx.post(
                f"{server.base_url}/api/v1/gc",
                json={"dryRun": dry_run},
                auth=ADMIN,
                timeout=GC_TIMEOUT,
            )
            if answer.status_code == 200:
                collection.report = answer.json()
            else:
                collection.error = f"{answer.status_code} {answer.text[:300]}"
        except httpx.HTTPError as exc:
            collection.error = f"{type(exc).__name__}: {exc}"
        finally:
            collection.ended = time.monotonic()
    collection.server = meter.usage
    if engine is not None and postgres is not None:
        collection.postgres = postgres.usage
        database = server.url.rpartition("/")[2]
        with engine.connect() as connection:
            rows = connection.execute(_TOP, {"database": database, "limit": TOP_STATEMENTS})
            collection.statements = [
                (int(r.calls), float(r.ms), int(r.rows), " ".join(r.query.split())) for r in rows
            ]
        engine.dispose()


def window(
    server: Instance, args: argparse.Namespace, images: list[tuple[str, str]], seed: int, gc: bool
) -> tuple[list[LoadReport], Collection | None, float]:
    """The load for ``args.seconds``; with ``gc``, a real collection started with it, which
    ends the window if it ends first. The reports, the collection, when the window began."""
    stop = multiprocessing.get_context("spawn").Event()
    plans = [
        LoadPlan(
            host=HOST,
            port=server.port,
            credentials=ADMIN,
            kind=kind,
            clients=clients,
            seconds=args.seconds,
            images=tuple(images),
            push_repository="team00",
            seed=seed * 10 + index,
            stop=stop,
        )
        for index, (kind, clients) in enumerate(((PUSH, args.pushers), (PULL, args.pullers)))
        if clients > 0
    ]
    collection = Collection() if gc else None

    def run_collection() -> None:
        assert collection is not None
        try:
            collect(server, False, collection)
        finally:
            stop.set()

    thread = threading.Thread(target=run_collection, name="gc", daemon=True)
    with ClientProcesses(load_worker, plans, "gc-load") as clients:
        began = time.monotonic()
        if gc:
            thread.start()
        reports = clients.run(args.seconds + REQUEST_SLACK) if plans else []
    if gc:
        thread.join(GC_TIMEOUT)
        if thread.is_alive():
            assert collection is not None
            collection.error = f"not finished after {GC_TIMEOUT:.0f} s"
    return reports, collection, began


def latency_rows(
    label: str, reports: list[LoadReport], began: float, until: float
) -> list[list[str]]:
    """One row per kind of operation: those that started in [began, until)."""
    rows = []
    for kind in (PUSH, PULL):
        done = [
            o
            for r in reports
            for o in r.operations
            if o.kind == kind and began <= o.started < until
        ]
        if not done:
            continue
        ok = sorted(o.seconds * 1000 for o in done if o.ok)
        seconds = until - began
        rows.append(
            [
                f"{kind}, {label}",
                number(seconds),
                str(len(ok)),
                str(len(done) - len(ok)),
                number(len(ok) / seconds if seconds else float("nan")),
                number(percentile(ok, 0.5)),
                number(percentile(ok, 0.99)),
                number(ok[-1] if ok else float("nan")),
            ]
        )
    return rows


def _errors(reports: list[LoadReport]) -> Counter[str]:
    found: Counter[str] = Counter()
    for report in reports:
        found.update(report.errors)
    return found


def _mib(value: float) -> str:
    return number(value / MIB, 0)


def collection_rows(dry: Collection, real: Collection) -> list[list[str]]:
    def cell(collection: Collection, key: str, scale: float = 1.0, digits: int = 0) -> str:
        value = collection.report.get(key)
        return "n/a" if value is None else number(float(value) / scale, digits)

    def usage(collection: Collection, what: str) -> str:
        used = collection.server if what == "server" else collection.postgres
        if used is None:
            return ""
        return f"{number(used.cpu_seconds)} s; {_mib(used.rss_before)} → {_mib(used.rss_peak)}"

    rows = [
        [
            "durationSeconds (its report)",
            *(cell(c, "durationSeconds", digits=2) for c in (dry, real)),
        ],
        ["wall, the POST (s)", number(dry.wall), number(real.wall)],
        ["blobsDeleted", cell(dry, "blobsDeleted"), cell(real, "blobsDeleted")],
        ["bytesFreed (MiB)", cell(dry, "bytesFreed", MIB, 1), cell(real, "bytesFreed", MIB, 1)],
        ["unrecordedBlobs", cell(dry, "unrecordedBlobs"), cell(real, "unrecordedBlobs")],
        ["blobsLeft", cell(dry, "blobsLeft"), cell(real, "blobsLeft")],
        [
            "cargohold CPU; RSS before → peak (MiB, all workers)",
            usage(dry, "server"),
            usage(real, "server"),
        ],
    ]
    if real.postgres is not None:
        rows.append(
            [
                "PostgreSQL CPU; RSS before → peak (MiB)",
                usage(dry, "postgres"),
                usage(real, "postgres"),
            ]
        )
    return rows


def verify(server: Instance, fixture: Fixture, args: argparse.Namespace) -> list[str]:
    """What is left, checked against what the collection had to delete and keep."""
    stored = stored_digests(server.data / "storage")
    engine = create_engine(server.url)
    try:
        with engine.connect() as connection:
            recorded = set(connection.execute(sa.select(blobs.c.digest)).scalars())
    finally:
        engine.dispose()
    pushed = stored - fixture.live - fixture.garbage
    lines = [
        f"blob files left: {len(stored):,} = {len(stored & fixture.live):,} held of "
        f"{len(fixture.live):,} + {len(pushed):,} pushed during the run; "
        f"garbage left: {len(stored & fixture.garbage):,} of {len(fixture.garbage):,}; "
        f"files without a row: {len(stored - recorded):,}; rows without a file: "
        f"{len(recorded - stored):,} -> "
        + (
            "OK"
            if stored & fixture.garbage == set() and fixture.live <= stored and stored == recorded
            else "WRONG"
        )
    ]
    sample = random.Random(args.seed).sample(fixture.images, min(SAMPLE, len(fixture.images)))
    pulled, errors = pull_sample(HOST, server.port, ADMIN, sample)
    lines.append(
        f"held images pulled after the collection (manifest and blobs, digests checked): "
        f"{pulled} of {len(sample)} -> {'OK' if pulled == len(sample) else 'WRONG'}"
    )
    lines += [f"    {count} x {error}" for error, count in errors.most_common(5)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--manifests", type=int, default=100_000)
    parser.add_argument("--blobs", type=int, default=200_000)
    parser.add_argument("--garbage", type=float, default=0.10, help="share of the blobs")
    parser.add_argument("--seconds", type=float, default=30.0, help="each latency window")
    parser.add_argument("--pushers", type=int, default=1, help="CI jobs pushing back to back")
    parser.add_argument("--pullers", type=int, default=3, help="machines pulling back to back")
    parser.add_argument("--workers", type=int, default=2, help="cargohold worker processes")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    command = " ".join(["python -m bench.gc", *sys.argv[1:]])
    print(f"`{command}`\n", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="cargohold-gc-bench-") as tmp,
        instance(args.database, Path(tmp), args.workers) as server,
    ):
        started = time.perf_counter()
        fixture = fill(server, args.manifests, args.blobs, args.garbage)
        filled = time.perf_counter() - started
        print(
            f"{args.database}: {fixture.manifests:,} manifests, {fixture.blobs:,} blobs "
            f"({len(fixture.garbage):,} garbage, {fixture.garbage_bytes / MIB:,.1f} MiB), "
            f"{fixture.rows:,} rows, written in {filled:.1f} s; {args.workers} workers; "
            f"{args.pushers} pusher(s) and {args.pullers} puller(s), {args.seconds:g} s windows",
            file=sys.stderr,
            flush=True,
        )
        server.start()
        rng = random.Random(args.seed)
        images = rng.sample(fixture.images, min(PULLER_IMAGES, len(fixture.images)))
        pull_sample(HOST, server.port, ADMIN, images[:10])  # warm: log in, caches
        idle, _, idle_began = window(server, args, images, args.seed, gc=False)
        dry = Collection()
        collect(server, True, dry)
        print("dry run done; the real one, with the load ...", file=sys.stderr, flush=True)
        during, real, during_began = window(server, args, images, args.seed + 1, gc=True)
        assert real is not None
        checks = verify(server, fixture, args)
        log_problems = server.process.log_tail(5) if real.error and server.process else ""
    until = min(during_began + args.seconds, real.ended) if real.ended else during_began
    print(
        f"{args.database}: {fixture.manifests:,} manifests, {fixture.blobs:,} blobs of which "
        f"{len(fixture.garbage):,} garbage ({fixture.garbage_bytes / MIB:,.1f} MiB), written "
        f"in {filled:.0f} s; cargohold with {args.workers} workers; {args.pushers} CI "
        f"pusher(s) ({PUSH_LAYERS} layers of {PUSH_LAYER_BYTES // 1024} KiB + config + manifest) "
        f"and {args.pullers} puller(s), "
        "each with docker's token flow, back to back\n"
    )
    header = ["operation, window", "window (s)", "ok", "failed", "per s", "p50 ms", "p99 ms"]
    rows = latency_rows("no collection", idle, idle_began, idle_began + args.seconds)
    rows += latency_rows("during the collection", during, during_began, until)
    print(markdown([*header, "max ms"], rows))
    print()
    print(
        markdown(
            ["collection", "dry run (alone)", "real run (with the load)"],
            collection_rows(dry, real),
        )
    )
    for label, collection in (("dry run", dry), ("real run", real)):
        if collection.error:
            print(f"\n{label} FAILED: {collection.error}\n{log_problems}")
    if real.statements:
        print("\nPostgreSQL during the real run, the statements that took its time:\n")
        print(
            markdown(
                ["statement", "calls", "total ms", "ms each", "rows"],
                [
                    [
                        f"`{query[:110]}`",
                        f"{calls:,}",
                        number(ms, 0),
                        number(ms / calls if calls else 0, 2),
                        f"{count:,}",
                    ]
                    for calls, ms, count, query in real.statements
                ],
            )
        )
    errors = _errors(idle) + _errors(during)
    for error, count in errors.most_common(5):
        print(f"\n{count} x {error}")
    print()
    print("\n".join(checks))


if __name__ == "__main__":
    main()
