"""The fan-out pull's table and the lines under it (see ``bench/fanout.py``)."""

from __future__ import annotations

from bench.fanout import FanoutResult
from bench.statements import shorten
from bench.tables import MIB, markdown, number, percentile, ratio

SERVICES = ("PostgreSQL", "SeaweedFS", "nginx")


def _baseline(results: list[FanoutResult], label: str, mode: str) -> FanoutResult | None:
    """The row of ``label`` in ``mode``, else its first row; None if the server has none."""
    rows = [r for r in results if r.label == label]
    return next((r for r in rows if r.mode == mode), rows[0] if rows else None)


def _statements_per_pull(result: FanoutResult) -> str:
    if result.statements is None:
        return "-"  # SQLite, in process: no round trips
    total = result.per_pull(result.statements.calls)
    return f"{number(total, 1)} ({number(result.per_pull(result.idle_statements), 1)})"


def _per_node(values: tuple[float, ...], digits: int) -> str:
    return " / ".join(number(value, digits) for value in values) or "n/a"


def fanout_table(results: list[FanoutResult]) -> str:
    """A row per server, topology and mode; the ratios compare CPU per GB and wall time
    with cargohold's first row (single node, anonymous with ``all``) and with the other
    server's run (in the same mode when it has one).

    "server CPU" is cargohold's nodes together; "node CPU" gives each node's, and "stack CPU
    s/GB" adds PostgreSQL, SeaweedFS and nginx to the nodes (the same as server CPU on a
    single node). Every "per GB" divides by all the bytes the machines received, also those
    of redirected blob GETs, which the object store sent. "node CPU ms/pull" is the nodes'
    CPU together per completed pull; "DB statements/pull (idle)" the statements the nodes sent
    to PostgreSQL during the run (pg_stat_statements: BEGIN, COMMIT and ROLLBACK included; each
    is one round trip, as psycopg does not pipeline them) per completed pull, and in brackets
    how many of them idle nodes would have sent in the same time (measured before the run)."""
    first = results[0]
    other = next((r.label for r in results if r.label != first.label), None)
    header = [
        "server",
        "topology",
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
        "node CPU (s)",
        "node CPU s/GB",
        "node CPU ms/pull",
        "DB statements/pull (idle)",
        *(f"{name} CPU (s)" for name in SERVICES),
        "stack CPU s/GB",
        "RSS before (MiB)",
        "RSS peak (MiB)",
        "server procs",
        "client CPU (s)",
        f"CPU/GB vs {first.label} {first.topology} {first.mode}",
        f"wall vs {first.label} {first.topology} {first.mode}",
    ]
    if other is not None:
        header += [f"CPU/GB vs {other}", f"stack CPU/GB vs {other}", f"wall vs {other}"]
    rows = []
    for r in results:
        row = [
            r.label,
            r.topology,
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
            _per_node(r.node_cpu_seconds, 2),
            _per_node(tuple(map(r.per_gigabyte, r.node_cpu_seconds)), 2),
            number(r.node_cpu_ms_per_pull, 2),
            _statements_per_pull(r),
            *(number(r.service_cpu(name), 2) for name in SERVICES),
            number(r.stack_cpu_seconds_per_gigabyte, 2),
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
                row += ["n/a", "n/a", "n/a"]
            else:
                row += [
                    ratio(r.cpu_seconds_per_gigabyte, base.cpu_seconds_per_gigabyte),
                    ratio(r.stack_cpu_seconds_per_gigabyte, base.stack_cpu_seconds_per_gigabyte),
                    ratio(r.wall_seconds, base.wall_seconds),
                ]
        rows.append(row)
    return markdown(header, rows)


def login_lines(results: list[FanoutResult]) -> list[str]:
    """How many machines met a 401 and asked for a token, and how many blob GETs were
    redirected, per run."""
    return [
        f"- {r.label} {r.topology} ({r.mode}): {r.challenges} answers 401 and "
        f"{r.token_requests} token requests for {r.machines} machines"
        + (f"; {r.redirects} blob GETs redirected and followed" if r.redirects else "")
        for r in results
    ]


def round_lines(results: list[FanoutResult]) -> list[str]:
    """Every round's server CPU per GB, for the modes run more than once (``--pull-rounds``)."""
    return [
        f"- {r.label} {r.topology} ({r.mode}): server CPU s/GB in {len(r.rounds)} rounds "
        + ", ".join(number(value, 2) for value in r.rounds)
        + f"; the row is the median round ({number(r.cpu_seconds_per_gigabyte, 2)})"
        for r in results
        if len(r.rounds) > 1
    ]


def statement_lines(results: list[FanoutResult], width: int = 90) -> list[str]:
    """Per run on PostgreSQL, the statements the nodes sent most often, per completed pull."""
    lines = []
    for r in results:
        if r.statements is None:
            continue
        top = "; ".join(
            f"{number(r.per_pull(calls), 2)} x `{shorten(query, width)}`"
            for calls, query in r.statements.top
        )
        lines.append(
            f"- {r.label} {r.topology} ({r.mode}): {r.statements.calls} statements to "
            f"PostgreSQL, {number(r.per_pull(r.statements.calls), 1)} per pull, of which idle "
            f"nodes send {number(r.per_pull(r.idle_statements), 1)} in as much time "
            f"({number(r.statements.idle_per_second, 1)}/s); most sent, per pull: {top}"
        )
    return lines


def error_lines(results: list[FanoutResult], limit: int = 5) -> list[str]:
    lines = []
    for result in results:
        for message, count in result.errors.most_common(limit):
            lines.append(f"- {result.label} {result.topology} ({result.mode}): {count} x {message}")
    return lines


__all__ = ["error_lines", "fanout_table", "login_lines", "statement_lines"]
