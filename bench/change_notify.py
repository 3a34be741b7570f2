"""The alternative to the change marker: PostgreSQL's LISTEN/NOTIFY, measured beside it.

In that design every write transaction also runs ``pg_notify('cargohold', '')``, and each
process of each node holds one more connection that LISTENs, in a thread that bumps an
in-process counter on every notification; a request compares the counter instead of reading
the marker. ``bench.change_marker`` calls :func:`measure` on the PostgreSQL server it started,
in a database of its own with a ten-row table, and prints :func:`report`:

- per request: the marker's first reading (one round trip) and the counter's reading;
- per write: a committed ``UPDATE`` of one row, alone, with ``pg_notify`` as one more
  statement of the transaction, and with it sent in the ``UPDATE``'s round trip;
- the stale window: from the moment a writer's ``COMMIT`` returns (a child process, as
  another node) to the moment the listener thread has bumped the counter, with no load
  added, with two processes spinning on the CPU, and with a thread spinning in Python in the
  listener's own process (a busy node: the listener waits for the GIL);
- a lost connection: from ``pg_terminate_backend`` of the listener's backend to the listener
  noticing, then connecting and LISTENing again; a notification committed in between is
  never delivered.

Times are ``time.monotonic_ns()``, one clock for every process of the machine. It prints
numbers and never asserts on time.
"""

from __future__ import annotations

import contextvars
import math
import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as PipeEnd

import psycopg
from psycopg.rows import TupleRow
from tests.postgres import PostgresServer

from bench.tables import markdown, number, percentile
from cargohold.meta.changes import ChangeMarker

CHANNEL = "cargohold"
UPDATE = "UPDATE bench_rows SET n = n + 1 WHERE id = {row}"
NOTIFY = f"SELECT pg_notify('{CHANNEL}', %s)"
WINDOW_SECONDS = 8.0  # at most, per load case; fewer writes than asked are then measured


@dataclass(frozen=True, slots=True)
class Spread:
    """p50, p99 and max of some microseconds, and how many there were."""

    p50: float
    p99: float
    max: float
    count: int

    @classmethod
    def of(cls, micros: list[float]) -> Spread:
        ordered = sorted(micros)
        last = ordered[-1] if ordered else float("nan")
        return cls(percentile(ordered, 0.5), percentile(ordered, 0.99), last, len(ordered))


@dataclass(slots=True)
class NotifyFigures:
    per_request: dict[str, Spread] = field(default_factory=dict)
    writes: dict[str, Spread] = field(default_factory=dict)
    windows: dict[str, Spread] = field(default_factory=dict)
    undelivered: dict[str, int] = field(default_factory=dict)  # writes whose notice never came
    noticed: Spread = Spread(math.nan, math.nan, math.nan, 0)
    relisten: Spread = Spread(math.nan, math.nan, math.nan, 0)
    lost_delivered: int = 0  # notifications committed while deaf that arrived anyway
    load: tuple[float, float] = (math.nan, math.nan)  # the machine's, at the start and end


class Listener:
    """The NOTIFY design's half on a node: a connection of its own in autocommit (a
    notification reaches only a session outside a transaction), and a thread that bumps
    ``generation`` on each one and notes when it did."""

    def __init__(self, conninfo: str) -> None:
        self.generation = 0
        self.arrivals: dict[str, int] = {}
        self._connection = psycopg.connect(conninfo, autocommit=True)
        self._connection.execute(f"LISTEN {CHANNEL}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for notice in self._connection.notifies(timeout=0.1):
                self.generation += 1
                self.arrivals[notice.payload] = time.monotonic_ns()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._connection.close()


def _spread(action: Callable[[], object], count: int) -> Spread:
    micros = []
    for _ in range(count):
        start = time.perf_counter_ns()
        action()
        micros.append((time.perf_counter_ns() - start) / 1000)
    return Spread.of(micros)


def _write_costs(conninfo: str, count: int) -> dict[str, Spread]:
    """The three kinds of write, taking turns in a random order so that the machine's load
    (and the delivery of the last notification) weighs on each alike, while another process
    listens. psycopg sends ``BEGIN`` before the first
    statement, as cargohold's writes through SQLAlchemy do."""
    update = UPDATE.format(row=1)

    def alone(connection: psycopg.Connection[TupleRow]) -> None:
        connection.execute(update)

    def notify_apart(connection: psycopg.Connection[TupleRow]) -> None:
        connection.execute(update)
        connection.execute(NOTIFY, ("",))

    def notify_along(connection: psycopg.Connection[TupleRow]) -> None:
        connection.execute(f"{update}; SELECT pg_notify('{CHANNEL}', '')")

    kinds = {
        "write: BEGIN, UPDATE, COMMIT": alone,
        "write: + pg_notify, a statement of its own": notify_apart,
        "write: + pg_notify in the UPDATE's round trip": notify_along,
    }
    micros: dict[str, list[float]] = {kind: [] for kind in kinds}
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    listening = context.Process(target=_listen_elsewhere, args=(conninfo, theirs))
    listening.start()
    try:
        if not ours.poll(30):
            raise RuntimeError("the listening process did not LISTEN within 30 s")
        ours.recv()
        with psycopg.connect(conninfo) as connection:
            for _ in range(count):
                turns = list(kinds.items())
                random.shuffle(turns)  # none always follows the notice of another
                for kind, statements in turns:
                    start = time.perf_counter_ns()
                    statements(connection)
                    connection.commit()
                    micros[kind].append((time.perf_counter_ns() - start) / 1000)
    finally:
        ours.send("stop")
        listening.join(10)
    return {kind: Spread.of(values) for kind, values in micros.items()}


def _listen_elsewhere(conninfo: str, control: PipeEnd) -> None:
    """In a child process, another node: LISTEN and take the notifications until told to
    stop (or for a minute), so that the server delivers each one, as it would to the nodes,
    while the writing process is not woken by them."""
    listener = Listener(conninfo)
    try:
        control.send("listening")
        control.poll(60)
    finally:
        listener.close()


def _write_and_stamp(conninfo: str, prefix: str, count: int, out: PipeEnd) -> None:
    """In a child process, another node: commit ``count`` notifying writes 0.5 to 1.5 ms
    apart and send back when each ``COMMIT`` returned."""
    stamps: list[int] = []
    deadline = time.monotonic() + WINDOW_SECONDS
    with psycopg.connect(conninfo) as connection:
        for i in range(count):
            if time.monotonic() > deadline:
                break
            connection.execute(UPDATE.format(row=2))
            connection.execute(NOTIFY, (f"{prefix}{i}",))
            connection.commit()
            stamps.append(time.monotonic_ns())
            time.sleep(random.uniform(0.0005, 0.0015))
    out.send(stamps)
    out.close()


def _spin(seconds: float, stop: threading.Event | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        pass


def _window(conninfo: str, listener: Listener, prefix: str, count: int) -> tuple[Spread, int]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    writer = context.Process(target=_write_and_stamp, args=(conninfo, prefix, count, sender))
    writer.start()
    sender.close()
    stamps: list[int] = receiver.recv() if receiver.poll(WINDOW_SECONDS + 30) else []
    writer.join(10)
    keys = [f"{prefix}{i}" for i in range(len(stamps))]
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not all(key in listener.arrivals for key in keys):
        time.sleep(0.01)
    arrivals = [listener.arrivals.get(key) for key in keys]
    micros = [
        (at - stamp) / 1000 for at, stamp in zip(arrivals, stamps, strict=True) if at is not None
    ]
    return Spread.of(micros), arrivals.count(None)


def _windows(conninfo: str, listener: Listener, count: int) -> dict[str, tuple[Spread, int]]:
    results = {"stale window: no added load": _window(conninfo, listener, "idle ", count)}
    context = multiprocessing.get_context("spawn")
    spinners = [context.Process(target=_spin, args=(WINDOW_SECONDS + 5,)) for _ in range(2)]
    for spinner in spinners:
        spinner.start()
    try:
        results["stale window: 2 processes spinning on the machine"] = _window(
            conninfo, listener, "cpu ", count
        )
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    stop = threading.Event()
    spinning = threading.Thread(target=_spin, args=(WINDOW_SECONDS + 5, stop), daemon=True)
    spinning.start()
    try:
        results["stale window: a Python thread spinning in the listener's process"] = _window(
            conninfo, listener, "gil ", count
        )
    finally:
        stop.set()
        spinning.join()
    return results


def _listen(conninfo: str) -> psycopg.Connection[TupleRow]:
    connection = psycopg.connect(conninfo, autocommit=True)
    connection.execute(f"LISTEN {CHANNEL}")
    return connection


def _terminate_soon(admin: psycopg.Connection[TupleRow], pid: int, called: list[int]) -> None:
    time.sleep(0.005)  # the listener waits in notifies() by then
    called[0] = time.monotonic_ns()
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _losses(conninfo: str, kills: int, figures: NotifyFigures) -> None:
    """Terminate the listener's backend ``kills`` times: how long until the listener
    notices, how long it takes to LISTEN again, and whether a notification committed in
    between arrives (it cannot: LISTEN takes effect from its own commit on)."""
    noticed: list[float] = []
    relisten: list[float] = []
    with psycopg.connect(conninfo, autocommit=True) as admin:
        listening = _listen(conninfo)
        for k in range(kills):
            called = [0]
            killer = threading.Thread(
                target=_terminate_soon, args=(admin, listening.info.backend_pid, called)
            )
            killer.start()
            try:
                for _ in listening.notifies(timeout=5):
                    pass
            except psycopg.OperationalError:
                noticed.append((time.monotonic_ns() - called[0]) / 1000)
            killer.join()
            listening.close()
            if len(noticed) <= k:
                break  # not noticed in 5 s: no point in waiting as long again
            admin.execute(NOTIFY, (f"deaf {k}",))
            start = time.monotonic_ns()
            listening = _listen(conninfo)
            relisten.append((time.monotonic_ns() - start) / 1000)
            admin.execute(NOTIFY, (f"back {k}",))
            for notice in listening.notifies(timeout=2):
                figures.lost_delivered += notice.payload == f"deaf {k}"
                if notice.payload == f"back {k}":
                    break
        listening.close()
    figures.noticed, figures.relisten = Spread.of(noticed), Spread.of(relisten)


def measure(
    server: PostgresServer, marker: ChangeMarker, readings: int, writes: int, kills: int
) -> NotifyFigures:
    """Everything above, on ``server``: ``readings`` per request case, ``writes`` per write
    and stale-window case, ``kills`` terminated listeners."""
    conninfo = server.empty_database().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as setup:
        setup.execute("CREATE TABLE bench_rows (id integer PRIMARY KEY, n bigint NOT NULL)")
        setup.execute("INSERT INTO bench_rows SELECT g, 0 FROM generate_series(1, 10) g")
    figures = NotifyFigures()
    started_at_load = os.getloadavg()[0]
    figures.writes = _write_costs(conninfo, writes)
    listener = Listener(conninfo)
    try:
        figures.per_request = {
            "per request: the marker's first reading": _spread(
                lambda: contextvars.Context().run(marker.read), readings
            ),
            "per request: NOTIFY's counter": _spread(lambda: listener.generation, readings),
        }
        for case, (spread, undelivered) in _windows(conninfo, listener, writes).items():
            figures.windows[case], figures.undelivered[case] = spread, undelivered
    finally:
        listener.close()
    _losses(conninfo, kills, figures)
    figures.load = (started_at_load, os.getloadavg()[0])
    return figures


def _cells(spread: Spread) -> list[str]:
    return [number(spread.p50), number(spread.p99), number(spread.max), str(spread.count)]


def report(figures: NotifyFigures) -> str:
    """The second table, what it leaves out, and the conclusion the numbers give."""
    rows = [
        [case, *_cells(spread)]
        for case, spread in (figures.per_request | figures.writes | figures.windows).items()
    ]
    rows.append(["lost connection: noticed after pg_terminate_backend", *_cells(figures.noticed)])
    rows.append(["lost connection: connect and LISTEN again", *_cells(figures.relisten)])
    lines = [
        f"LISTEN/NOTIFY on the same server, microseconds (load average {figures.load[0]:.1f} "
        f"at the start, {figures.load[1]:.1f} at the end)",
        "",
        markdown(["", "p50", "p99", "max", "n"], rows),
        "",
        "stale window: from the writer's COMMIT returning (another process) to the listener "
        "thread's counter moving; negative when the notice came first",
        "notifications that never arrived: "
        + ", ".join(f"{case.split(': ')[1]} {n}" for case, n in figures.undelivered.items()),
        f"notifications committed while the listener was disconnected, delivered after it "
        f"listened again: {figures.lost_delivered} of {figures.relisten.count} "
        "(a NOTIFY design must drop every cache when it reconnects)",
        "",
    ]
    marker = figures.per_request["per request: the marker's first reading"]
    counter = figures.per_request["per request: NOTIFY's counter"]
    plain, apart, along = figures.writes.values()
    idle = figures.windows["stale window: no added load"]
    worst_case, worst = max(figures.windows.items(), key=lambda item: item[1].p99)
    deaf = figures.noticed.p50 + figures.relisten.p50
    extra = apart.p50 - plain.p50
    lines.append(
        f"Conclusion: the marker costs {number(marker.p50)} µs per request (p99 "
        f"{number(marker.p99)}); NOTIFY would replace it with a {number(counter.p50)} µs "
        f"counter reading, add {number(extra)} µs to each write (as much as the marker "
        f"costs {number(extra / marker.p50, 2)} requests; {number(along.p50 - plain.p50)} µs "
        f"sent with the UPDATE), and leave a window after each commit in which another node "
        f"still serves stale permissions: p99 {number(idle.p99)} µs (max {number(idle.max)}) "
        f"with no added load, p99 {number(worst.p99)} µs (max {number(worst.max)}) with "
        f"{worst_case.split(': ')[1]}; a lost connection leaves a listener deaf for "
        f"{number(deaf / 1000)} ms (p50), and the notifications of that time are lost."
    )
    return "\n".join(lines)


__all__ = ["Listener", "NotifyFigures", "Spread", "measure", "report"]
