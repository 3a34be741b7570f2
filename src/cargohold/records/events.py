"""Events and webhooks as values: a CloudEvent as stored, webhooks, deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cargohold.records.jobs import NewJob


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: str
    name: str
    url: str
    secret: str
    repositories: tuple[str, ...]
    events: tuple[str, ...]
    enabled: bool
    created_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    webhook_id: str
    event: EventRecord
    state: str  # pending, delivered, failed
    attempts: int
    status_code: int | None
    error: str | None
    created_at: float
    delivered_at: float | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A CloudEvent as stored; ``seq`` orders the events of one subject."""

    seq: int
    id: str
    type: str
    source: str
    subject: str
    repository: str | None
    time: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery of the event to one webhook, and the job that will send it."""

    id: str
    webhook_id: str
    job: NewJob


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    deliveries: tuple[str, ...]  # of the webhooks that still existed
    jobs: tuple[str, ...]


__all__ = ["Appended", "DeliveryRecord", "EventRecord", "NewDelivery", "WebhookRecord"]
