"""Webhooks, their delivery logs and the CloudEvents they carry, on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described

EVENT_KINDS = ("push", "delete", "promote", "property", "scan", "vulnerable", "violation", "gc")
DEFAULT_EVENTS = ("push", "delete", "promote", "property")
DELIVERY_STATES = ("pending", "delivered", "failed")

DeliveryState = Literal["pending", "delivered", "failed"]
EventKind = Literal[
    "push", "delete", "promote", "property", "scan", "vulnerable", "violation", "gc"
]
EventKinds = Annotated[tuple[EventKind, ...], Meta(min_length=1)]
Url = Annotated[str, Meta(max_length=2048, extra_json_schema={"format": "uri"})]
WebhookName = Annotated[str, Meta(min_length=1, max_length=128)]
Secret = Annotated[
    str,
    Meta(
        min_length=16,
        max_length=255,
        description="Signs each delivery (HMAC-SHA256); write-only, never shown.",
        extra_json_schema={"writeOnly": True},
    ),
]
Patterns = Annotated[
    tuple[str, ...],
    Meta(min_length=1, description="Repository keys or patterns, e.g. `dev`, `team-*`."),
]


class Webhook(Wire, frozen=True):
    id: str
    name: str
    url: Annotated[str, Meta(extra_json_schema={"format": "uri"})]
    repositories: tuple[str, ...]
    events: tuple[EventKind, ...]
    enabled: bool
    created: Timestamp
    created_by: str


class WebhookCreate(Body, frozen=True):
    name: WebhookName
    url: Annotated[Url, described("http:// or https://.")]
    secret: Secret
    repositories: Patterns = ("*",)
    events: EventKinds = ("push", "delete", "promote", "property")
    enabled: bool = True


class WebhookUpdate(Body, frozen=True):
    name: WebhookName | UnsetType = UNSET
    url: Url | UnsetType = UNSET
    secret: Secret | UnsetType = UNSET
    repositories: Patterns | UnsetType = UNSET
    events: EventKinds | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET


class WebhookDelivery(Wire, frozen=True):
    id: Annotated[str, described("Sent as `X-Cargohold-Delivery`, the same on every attempt.")]
    event_id: Annotated[str, described("The CloudEvent id.", format="uuid")]
    type: Annotated[str, Meta(examples=["dev.cargohold.push"])]
    repository: str | None
    subject: str
    state: DeliveryState
    attempts: int
    status_code: Annotated[int | None, described("The receiver's answer to the last attempt.")]
    error: Annotated[str | None, described("What went wrong with the last attempt.")]
    created: Timestamp
    delivered: Timestamp | None


class CloudEvent(Wire, frozen=True):
    """One event as a webhook receives it (CloudEvents 1.0, structured JSON)."""

    specversion: Literal["1.0"]
    type: Literal[
        "dev.cargohold.push",
        "dev.cargohold.delete",
        "dev.cargohold.promote",
        "dev.cargohold.property",
        "dev.cargohold.scan",
        "dev.cargohold.vulnerable",
        "dev.cargohold.violation",
    ]
    source: Annotated[str, Meta(examples=["/repositories/dev"])]
    id: Annotated[str, Meta(extra_json_schema={"format": "uuid"})]
    time: Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
    subject: Annotated[str, described("The image name (without the repository) or file path.")]
    datacontenttype: Literal["application/json"]
    data: Annotated[
        dict[str, Any],
        described("repository, image, name, digest, tag, mediaType, principal, … by event kind."),
    ]


__all__ = [
    "DEFAULT_EVENTS",
    "DELIVERY_STATES",
    "EVENT_KINDS",
    "CloudEvent",
    "DeliveryState",
    "EventKind",
    "Webhook",
    "WebhookCreate",
    "WebhookDelivery",
    "WebhookUpdate",
]
