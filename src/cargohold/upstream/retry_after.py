"""How long an upstream asked to be left alone: its ``Retry-After`` header, in seconds or as
an HTTP date (RFC 9110 §10.2.3). Pure: no HTTP client here, so the use cases may read it."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = 3600.0  # an upstream's wish beyond an hour is taken as an hour


def parse_retry_after(value: str | None, now: float) -> float | None:
    """The seconds from ``now`` (seconds since the epoch) that ``value`` asks to wait, at
    most ``MAX_RETRY_AFTER`` and never below 0; None when there is no header or it is
    neither a number of seconds nor a date."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # asctime's form, or "-0000": HTTP dates are in GMT
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER)


__all__ = ["MAX_RETRY_AFTER", "parse_retry_after"]
