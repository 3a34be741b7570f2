"""RFC 3339 times, as every API writes and reads them: UTC with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(seconds: float, timespec: str = "auto") -> str:
    """``2026-11-26T10:00:00Z`` (``timespec`` as for ``datetime.isoformat``)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def moment(seconds: float) -> datetime:
    """A stored time as the APIs show it: UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0)


def parse_rfc3339(text: str, *, assume_utc: bool = True) -> float:
    """Seconds since the epoch. A time without an offset is UTC, or with ``assume_utc``
    false a ValueError, like anything that is not an RFC 3339 time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        if not assume_utc:
            raise ValueError(f"{text[:64]!r} has no time zone")
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


__all__ = ["moment", "parse_rfc3339", "rfc3339"]
