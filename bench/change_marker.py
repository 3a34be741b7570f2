"""What the change marker costs a request, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.change_marker               # 3000 readings, 2000 writes per case
    .venv/bin/python -m bench.change_marker --readings 20000 --writes 5000 --kills 50

Each request reads the marker once (``PRAGMA data_version`` on SQLite, one round trip for
``pg_current_snapshot()`` on PostgreSQL) and reuses the reading until this process writes.
The script starts a PostgreSQL server on loopback (Debian's ``postgresql`` package, as the
tests do), times the first reading of many fresh requests, a reading reused within a
request, and, for scale, one indexed lookup (a repository by key, through the pool), and
prints a markdown table of microseconds. On the same server it then measures the
alternative, LISTEN/NOTIFY (``bench/change_notify.py``): what a request, a write and the
other nodes' caches would pay, and prints a second table. It prints numbers and never
asserts on time.
"""

from __future__ import annotations

import argparse
import contextvars
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.postgres import PostgresServer

from bench import change_notify
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.repositories import RepositoryRecord


def _micros(action: Callable[[], object], count: int) -> tuple[float, float]:
    """p50 and p99 of ``action`` in microseconds."""
    times = []
    for _ in range(count):
        start = time.perf_counter_ns()
        action()
        times.append((time.perf_counter_ns() - start) / 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def measure(meta: MetadataStore, count: int) -> dict[str, tuple[float, float]]:
    meta.repositories.create(RepositoryRecord("dev", "docker", "local", False))
    request = contextvars.Context()
    request.run(meta.changes.read)
    return {
        "first reading in a request": _micros(
            lambda: contextvars.Context().run(meta.changes.read), count
        ),
        "reading reused in the request": _micros(lambda: request.run(meta.changes.read), count),
        "for scale: a repository by key": _micros(lambda: meta.repositories.get("dev"), count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readings", type=int, default=3000)
    parser.add_argument(
        "--writes", type=int, default=2000, help="writes per case of the NOTIFY table"
    )
    parser.add_argument(
        "--kills", type=int, default=20, help="listener connections terminated, one by one"
    )
    args = parser.parse_args()
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        sqlite = open_metadata_store(f"sqlite:///{Path(scratch) / 'bench.db'}")
        try:
            results["SQLite"] = measure(sqlite, args.readings)
        finally:
            sqlite.close()
    server = PostgresServer.start()
    try:
        postgresql = open_metadata_store(server.migrated_database())
        try:
            results["PostgreSQL"] = measure(postgresql, args.readings)
            notify = change_notify.measure(
                server, postgresql.changes, args.readings, args.writes, args.kills
            )
        finally:
            postgresql.close()
    finally:
        server.stop()
    print(f"{args.readings} times each, microseconds (p50 / p99)\n")
    print("| | " + " | ".join(results) + " |")
    print("|:--|" + "--:|" * len(results))
    for case in results["SQLite"]:
        cells = [f"{results[db][case][0]:.1f} / {results[db][case][1]:.1f}" for db in results]
        print(f"| {case} | " + " | ".join(cells) + " |")
    print()
    print(change_notify.report(notify))


if __name__ == "__main__":
    main()
