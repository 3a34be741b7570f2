"""Background jobs through the REST API (admin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cargohold.client.models import format_time, parse_time
from cargohold.client.session import RestSession, segment


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    state: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_after: datetime
    last_error: str | None
    created: datetime
    finished: datetime | None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Job:
        payload = doc["payload"]
        if not isinstance(payload, dict):
            raise TypeError(f"'payload' must be an object, got {payload!r}")
        finished = doc.get("finished")
        return cls(
            id=str(doc["id"]),
            kind=str(doc["kind"]),
            state=str(doc["state"]),
            key=None if doc.get("key") is None else str(doc["key"]),
            payload=payload,
            attempts=int(doc["attempts"]),
            max_attempts=int(doc["maxAttempts"]),
            run_after=parse_time(doc["runAfter"]),
            last_error=None if doc.get("lastError") is None else str(doc["lastError"]),
            created=parse_time(doc["created"]),
            finished=None if finished is None else parse_time(finished),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "key": self.key,
            "payload": self.payload,
            "attempts": self.attempts,
            "maxAttempts": self.max_attempts,
            "runAfter": format_time(self.run_after),
            "lastError": self.last_error,
            "created": format_time(self.created),
            "finished": None if self.finished is None else format_time(self.finished),
        }


class Jobs:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(
        self, state: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[Job]:
        """Jobs, newest first."""
        params = {k: v for k, v in (("state", state), ("kind", kind)) if v}
        return self._session.items("/jobs", Job.from_json, params or None, limit)

    def get(self, job_id: str) -> Job:
        return self._session.call_object("GET", f"/jobs/{segment(job_id)}", Job.from_json)


__all__ = ["Job", "Jobs"]
