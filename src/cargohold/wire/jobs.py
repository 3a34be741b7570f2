"""Background jobs on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from cargohold.wire.base import Meta, Timestamp, Wire, described

JOB_STATES = ("queued", "running", "done", "failed")
JobState = Literal["queued", "running", "done", "failed"]


class Job(Wire, frozen=True):
    id: str
    kind: Annotated[str, Meta(examples=["webhook.deliver"])]
    state: JobState
    key: Annotated[str | None, described("At most one live job per key; cleared when it ends.")]
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_after: Timestamp
    lease_owner: Annotated[str | None, described("The worker running it (host:pid:random).")]
    lease_until: Annotated[
        Timestamp | None, described("A worker that stops renewing loses it then.")
    ]
    last_error: str | None
    result: dict[str, Any] | None
    created: Timestamp
    finished: Timestamp | None


__all__ = ["JOB_STATES", "Job", "JobState"]
