"""``/webhooks``: where events are delivered, and each webhook's delivery log (admin only).
The secret is write-only: accepted on create and update, never shown."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import Key, Row, after_key, after_row, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import optional_moment
from cargohold.core.times import moment
from cargohold.records.events import DeliveryRecord, WebhookRecord
from cargohold.registry.events.webhooks import DEFAULT_EVENTS, NewWebhook, WebhookChanges
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.events import (
    DeliveryState,
    EventKind,
    Webhook,
    WebhookCreate,
    WebhookDelivery,
    WebhookUpdate,
)


def webhook_wire(record: WebhookRecord) -> Webhook:
    return Webhook(
        id=record.id,
        name=record.name,
        url=record.url,
        repositories=record.repositories,
        events=cast(tuple[EventKind, ...], record.events),
        enabled=record.enabled,
        created=moment(record.created_at),
        created_by=record.created_by,
    )


def delivery_wire(record: DeliveryRecord) -> WebhookDelivery:
    return WebhookDelivery(
        id=record.id,
        event_id=record.event.id,
        type=record.event.type,
        repository=record.event.repository,
        subject=record.event.subject,
        state=cast(DeliveryState, record.state),
        attempts=record.attempts,
        status_code=record.status_code,
        error=record.error,
        created=moment(record.created_at),
        delivered=optional_moment(record.delivered_at),
    )


class WebhookEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._webhooks = registry.webhooks

    async def list(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key)
        rows = await self._webhooks.page(caller, after_key(after), limit + 1)
        return paged(request, rows, limit, webhook_wire, lambda r: Key(r.id))

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record = await self._webhooks.get(caller, request.path_params["id"])
        return WireResponse(webhook_wire(record))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        async def read_webhook() -> NewWebhook:
            body = await Body.read(request, WebhookCreate)
            return NewWebhook(
                name=body.string("name", required=True),
                url=body.string("url", required=True),
                secret=body.string("secret", required=True),
                repositories=body.strings("repositories", ["*"]),
                events=body.strings("events", list(DEFAULT_EVENTS)),
                enabled=body.boolean("enabled", True),
            )

        record = await self._webhooks.create(Actor(caller, client_address(request)), read_webhook)
        location = f"/api/v1/webhooks/{record.id}"
        return WireResponse(webhook_wire(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        async def read_changes() -> WebhookChanges:
            body = await Body.read(request, WebhookUpdate)
            return WebhookChanges(
                name=body.optional_string("name"),
                url=body.optional_string("url"),
                secret=body.optional_string("secret"),
                repositories=body.optional_strings("repositories"),
                events=body.optional_strings("events"),
                enabled=body.optional_boolean("enabled"),
            )

        record = await self._webhooks.update(
            Actor(caller, client_address(request)), request.path_params["id"], read_changes
        )
        return WireResponse(webhook_wire(record))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        await self._webhooks.delete(
            Actor(caller, client_address(request)), request.path_params["id"]
        )
        return Response(b"", 204)

    async def deliveries(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Row)
        rows = await self._webhooks.deliveries(
            caller,
            request.path_params["id"],
            request.query_params.get("state") or None,
            after_row(after),
            limit + 1,
        )
        return paged(request, rows, limit, delivery_wire, lambda r: Row(r.event.seq))


__all__ = ["WebhookEndpoints", "delivery_wire", "webhook_wire"]
