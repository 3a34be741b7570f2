"""Webhooks and their delivery logs through the REST API."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from cargohold.client.session import RestSession, segment
from cargohold.wire.events import Webhook
from cargohold.wire.events import WebhookDelivery as Delivery


class Webhooks:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Webhook]:
        return self._session.items("/webhooks", Webhook, limit=limit)

    def get(self, webhook_id: str) -> Webhook:
        return self._session.call_object("GET", f"/webhooks/{segment(webhook_id)}", Webhook)

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
        return self._session.call_object("POST", "/webhooks", Webhook, body=body)

    def update(self, webhook_id: str, **changes: Any) -> Webhook:
        """Change fields given by their API names: name, url, secret, repositories, events,
        enabled."""
        return self._session.call_object(
            "PATCH", f"/webhooks/{segment(webhook_id)}", Webhook, body=changes
        )

    def delete(self, webhook_id: str) -> None:
        self._session.call("DELETE", f"/webhooks/{segment(webhook_id)}")

    def deliveries(
        self, webhook_id: str, state: str | None = None, limit: int | None = None
    ) -> builtins.list[Delivery]:
        """The delivery log, newest event first."""
        params = {"state": state} if state else None
        path = f"/webhooks/{segment(webhook_id)}/deliveries"
        return self._session.items(path, Delivery, params, limit)


__all__ = ["Delivery", "Webhook", "Webhooks"]
