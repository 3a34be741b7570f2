"""The push benchmark's table: a row per server and way of authenticating, and what
the lines under it add (the job queue after the pushes, and errors)."""

from __future__ import annotations

from bench.pushes import NO_AUTH, TOKEN_FLOW, PushResult
from bench.servers import CARGOHOLD
from bench.tables import MIB, markdown, number, percentile, ratio


def push_table(results: list[PushResult]) -> str:
    base = next((r for r in results if r.label == CARGOHOLD and r.mode == TOKEN_FLOW), None)
    header = [
        "server",
        "auth",
        "pushes OK",
        "failed",
        "wall s",
        "pushes/s",
        "p50 / p99 push s",
        "server CPU s",
        "CPU ms/push",
        "vs token-flow",
        "CPU ms/push incl. scans",
        "vs token-flow incl. scans",
        "peak RSS MiB",
        "requests/push",
        "401s",
        "token requests",
        "client CPU s",
    ]
    rows = []
    for r in results:
        rows.append(
            [
                r.label,
                r.mode,
                str(r.ok),
                str(r.failed),
                number(r.wall_seconds),
                number(r.pushes_per_second),
                f"{number(percentile(r.latencies, 0.5), 2)} / "
                f"{number(percentile(r.latencies, 0.99), 2)}",
                number(r.server.cpu_seconds),
                number(r.cpu_ms_per_push),
                ratio(r.cpu_ms_per_push, base.cpu_ms_per_push) if base else "n/a",
                number(r.total_cpu_ms_per_push),
                ratio(r.total_cpu_ms_per_push, base.total_cpu_ms_per_push) if base else "n/a",
                number(r.rss_peak / MIB, 0),
                number(r.per_push(r.requests), 1),
                str(r.challenges),
                str(r.token_requests),
                number(r.client_cpu_seconds),
            ]
        )
    return markdown(header, rows)


def detail_lines(results: list[PushResult]) -> list[str]:
    """Per run: the queue's settling, blobs found present, and the errors (a sample)."""
    lines = []
    for r in results:
        queue = (
            "no job queue"
            if r.mode == NO_AUTH
            else f"job queue {'emptied' if r.settled else 'still busy'} "
            f"{r.settle_seconds:.1f} s after the pushes ({r.settle_cpu_seconds:.1f} CPU s)"
        )
        line = (
            f"- {r.label} ({r.mode}): RSS {r.server.rss_before / MIB:.0f} MiB before; "
            f"{queue}; {r.present} blobs already present"
        )
        if r.errors:
            samples = "; ".join(f"{count}x {text}" for text, count in r.errors.most_common(3))
            line += f"; errors: {samples}"
        lines.append(line)
    return lines


__all__ = ["detail_lines", "push_table"]
