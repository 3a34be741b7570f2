"""What the operator chose housekeeping to keep, from the settings."""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class HousekeepingPolicy:
    interval: float = 3600.0  # seconds between runs; 0: housekeeping does not run by itself
    upload_expiry: float = DAY  # an upload idle this long is abandoned; 0: never
    # Days each kind of row is kept; None: forever.
    event_days: int | None = 90
    job_days: int | None = 30
    delivery_days: int | None = 30
    audit_days: int | None = None  # the audit log is kept unless the operator says otherwise

    def cutoff(self, days: int | None, now: float) -> float | None:
        """Rows older than this go; None when they are kept forever."""
        return None if not days else now - days * DAY


__all__ = ["DAY", "HousekeepingPolicy"]
