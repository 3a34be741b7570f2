"""Background jobs through the REST API (admin)."""

from __future__ import annotations

from cargohold.client.session import RestSession, segment
from cargohold.wire.jobs import Job


class Jobs:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(
        self, state: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[Job]:
        """Jobs, newest first."""
        params = {k: v for k, v in (("state", state), ("kind", kind)) if v}
        return self._session.items("/jobs", Job, params or None, limit)

    def get(self, job_id: str) -> Job:
        return self._session.call_object("GET", f"/jobs/{segment(job_id)}", Job)


__all__ = ["Job", "Jobs"]
