"""``/webhooks``: where events are delivered, and each webhook's delivery log (admin only).
The secret is write-only: accepted on create and update, never shown."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import numeric_cursor, page_params, page_response
from cargohold.api.rest.views import timestamp
from cargohold.core.errors import BadRequest
from cargohold.records.events import DeliveryRecord, WebhookRecord
from cargohold.registry.events.webhooks import DEFAULT_EVENTS, DELIVERY_STATES, WebhookChanges
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry

FIELDS = ("name", "url", "secret", "repositories", "events", "enabled")


def webhook_json(record: WebhookRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "url": record.url,
        "repositories": list(record.repositories),
        "events": list(record.events),
        "enabled": record.enabled,
        "created": timestamp(record.created_at),
        "createdBy": record.created_by,
    }


def delivery_json(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "eventId": record.event.id,
        "type": record.event.type,
        "repository": record.event.repository,
        "subject": record.event.subject,
        "state": record.state,
        "attempts": record.attempts,
        "statusCode": record.status_code,
        "error": record.error,
        "created": timestamp(record.created_at),
        "delivered": timestamp(record.delivered_at),
    }


class WebhookEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._webhooks = registry.webhooks

    async def list(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        limit, after = page_params(request)
        rows = await self._webhooks.page(after, limit + 1)
        return page_response(request, rows, limit, webhook_json, lambda r: r.id)

    async def get(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        return JSONResponse(webhook_json(await self._webhooks.get(request.path_params["id"])))

    async def create(self, request: Request, caller: Principal | None) -> Response:
        admin = self._registry.access.require_admin(caller)
        body = await Body.read(request, FIELDS)
        record = await self._webhooks.create(
            name=body.string("name", required=True),
            url=body.string("url", required=True),
            secret=body.string("secret", required=True),
            repositories=body.strings("repositories", ["*"]),
            events=body.strings("events", list(DEFAULT_EVENTS)),
            enabled=body.boolean("enabled", True),
            created_by=admin.name,
        )
        location = f"/api/v1/webhooks/{record.id}"
        return JSONResponse(webhook_json(record), 201, {"Location": location})

    async def update(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        body = await Body.read(request, FIELDS)
        changes = WebhookChanges(
            name=body.optional_string("name"),
            url=body.optional_string("url"),
            secret=body.optional_string("secret"),
            repositories=body.optional_strings("repositories"),
            events=body.optional_strings("events"),
            enabled=body.optional_boolean("enabled"),
        )
        record = await self._webhooks.update(request.path_params["id"], changes)
        return JSONResponse(webhook_json(record))

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        await self._webhooks.delete(request.path_params["id"])
        return Response(b"", 204)

    async def deliveries(self, request: Request, caller: Principal | None) -> Response:
        self._registry.access.require_admin(caller)
        limit, after = page_params(request)
        state = request.query_params.get("state") or None
        if state is not None and state not in DELIVERY_STATES:
            raise BadRequest(f"state must be one of: {', '.join(DELIVERY_STATES)}")
        rows = await self._webhooks.deliveries(
            request.path_params["id"], state, numeric_cursor(after), limit + 1
        )
        return page_response(request, rows, limit, delivery_json, lambda r: str(r.event.seq))


__all__ = ["WebhookEndpoints", "delivery_json", "webhook_json"]
