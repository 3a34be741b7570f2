"""Jobs as values: one to enqueue, one as stored, and the states it goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: str
    kind: str
    payload: dict[str, Any]
    key: str | None
    state: str
    attempts: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_until: float | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class NewJob:
    kind: str
    payload: dict[str, Any]
    key: str | None = None
    max_attempts: int = 10
    delay: float = 0.0


__all__ = ["STATES", "JobRecord", "NewJob"]
