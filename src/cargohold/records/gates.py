"""An upstream's gate: whether requests may go to it now, as every process and node sees it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UpstreamGate:
    """An upstream (its origin, ``scheme://host:port``) that throttled or failed: no request
    goes to it before ``closed_until`` (seconds since the epoch); ``failures`` counts its
    failures in a row, for the backoff; ``reason`` is the last one, in words."""

    upstream: str
    closed_until: float
    failures: int
    reason: str
    updated_at: float


__all__ = ["UpstreamGate"]
