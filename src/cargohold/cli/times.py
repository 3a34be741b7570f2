"""Times on the command line: durations (``90``, ``15m``, ``30d``) and instants (RFC 3339,
a date, or a duration meaning that long ago)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)([smhdw]?)")


def parse_duration(text: str) -> int | None:
    """Seconds in ``text`` (``3600``, ``90s``, ``15m``, ``12h``, ``30d``, ``2w``), else None."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        return None
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


class Duration(click.ParamType[int]):
    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        seconds = parse_duration(str(value))
        if seconds is None or seconds <= 0:
            self.fail(f"{value!r} is not a duration like 3600, 90m, 12h or 30d", param, ctx)
        return seconds


class Instant(click.ParamType[datetime]):
    """An RFC 3339 time (UTC unless it has an offset), a date, or ``1h``/``7d`` ago."""

    name = "time"

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        seconds = parse_duration(text)
        if seconds is not None:
            return self._now() - timedelta(seconds=seconds)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{text!r} is not a time like 2026-11-26T10:00:00Z, 2026-11-26 or 2h (ago)",
                param,
                ctx,
            )
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


__all__ = ["Duration", "Instant", "parse_duration"]
