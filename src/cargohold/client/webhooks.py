"""Webhooks and their delivery logs through the REST API."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cargohold.client.models import format_time, parse_time
from cargohold.client.session import RestSession, segment


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else parse_time(value)


def _time_json(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    name: str
    url: str
    repositories: tuple[str, ...]
    events: tuple[str, ...]
    enabled: bool
    created: datetime
    created_by: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Webhook:
        enabled = doc["enabled"]
        if not isinstance(enabled, bool):
            raise TypeError(f"'enabled' must be true or false, got {enabled!r}")
        return cls(
            id=str(doc["id"]),
            name=str(doc["name"]),
            url=str(doc["url"]),
            repositories=tuple(str(r) for r in doc["repositories"]),
            events=tuple(str(e) for e in doc["events"]),
            enabled=enabled,
            created=parse_time(doc["created"]),
            created_by=str(doc["createdBy"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "repositories": list(self.repositories),
            "events": list(self.events),
            "enabled": self.enabled,
            "created": format_time(self.created),
            "createdBy": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    event_id: str
    type: str
    repository: str | None
    subject: str
    state: str
    attempts: int
    status_code: int | None
    error: str | None
    created: datetime
    delivered: datetime | None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Delivery:
        status = doc.get("statusCode")
        return cls(
            id=str(doc["id"]),
            event_id=str(doc["eventId"]),
            type=str(doc["type"]),
            repository=None if doc.get("repository") is None else str(doc["repository"]),
            subject=str(doc["subject"]),
            state=str(doc["state"]),
            attempts=int(doc["attempts"]),
            status_code=None if status is None else int(status),
            error=None if doc.get("error") is None else str(doc["error"]),
            created=parse_time(doc["created"]),
            delivered=_optional_time(doc.get("delivered")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "type": self.type,
            "repository": self.repository,
            "subject": self.subject,
            "state": self.state,
            "attempts": self.attempts,
            "statusCode": self.status_code,
            "error": self.error,
            "created": format_time(self.created),
            "delivered": _time_json(self.delivered),
        }


class Webhooks:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Webhook]:
        return self._session.items("/webhooks", Webhook.from_json, limit=limit)

    def get(self, webhook_id: str) -> Webhook:
        return self._session.call_object(
            "GET", f"/webhooks/{segment(webhook_id)}", Webhook.from_json
        )

    def create(
        self,
        name: str,
        url: str,
        secret: str,
        *,
        repositories: Iterable[str] = ("*",),
        events: Iterable[str] | None = None,
        enabled: bool = True,
    ) -> Webhook:
        """A webhook; ``events`` omitted: every kind (push, delete, promote, property)."""
        body: dict[str, Any] = {
            "name": name,
            "url": url,
            "secret": secret,
            "repositories": list(repositories),
            "enabled": enabled,
        }
        if events is not None:
            body["events"] = list(events)
        return self._session.call_object("POST", "/webhooks", Webhook.from_json, body=body)

    def update(self, webhook_id: str, **changes: Any) -> Webhook:
        """Change fields given by their API names: name, url, secret, repositories, events,
        enabled."""
        return self._session.call_object(
            "PATCH", f"/webhooks/{segment(webhook_id)}", Webhook.from_json, body=changes
        )

    def delete(self, webhook_id: str) -> None:
        self._session.call("DELETE", f"/webhooks/{segment(webhook_id)}")

    def deliveries(
        self, webhook_id: str, state: str | None = None, limit: int | None = None
    ) -> builtins.list[Delivery]:
        """The delivery log, newest event first."""
        params = {"state": state} if state else None
        path = f"/webhooks/{segment(webhook_id)}/deliveries"
        return self._session.items(path, Delivery.from_json, params, limit)


__all__ = ["Delivery", "Webhook", "Webhooks"]
