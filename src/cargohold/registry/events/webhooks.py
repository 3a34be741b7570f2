"""Webhooks: where events are sent, how each delivery is signed, and the delivery log.

A webhook subscribes to event kinds (push, delete, promote, property) on repository keys or
patterns. Each delivery is a POST of the CloudEvent JSON, signed with HMAC-SHA256 of the
exact body under the webhook's secret (``X-Cargohold-Signature: sha256=<hex>``). The secret
is write-only: stored to sign, never shown. A URL whose host is, or resolves to, an address
webhooks may not reach (see webhook_targets) is refused.

Webhooks are for administrators only; each change commits its audit record with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from anyio import to_thread

from cargohold.core import times
from cargohold.core.errors import BadRequest, ResourceUnknown, WebhookTargetRefused
from cargohold.meta.store import MetadataStore
from cargohold.records.events import DeliveryRecord, EventRecord, WebhookRecord
from cargohold.registry.cache import ChangeAwareCache
from cargohold.registry.events.targets import WebhookTargets
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal, validate_pattern

EVENT_KINDS = ("push", "delete", "promote", "property", "scan", "vulnerable", "violation", "gc")
# What a webhook created without ``events`` gets: what happens to artifacts. What scans find
# (scan, vulnerable, violation) is asked for by name.
DEFAULT_EVENTS = ("push", "delete", "promote", "property")
EVENT_TYPE_PREFIX = "dev.cargohold."
DELIVERY_STATES = ("pending", "delivered", "failed")
MAX_DELIVERY_ATTEMPTS = 10
MIN_SECRET = 16
MAX_SECRET = 255
MAX_URL = 2048
SIGNATURE_HEADER = "X-Cargohold-Signature"
DELIVERY_HEADER = "X-Cargohold-Delivery"
CONTENT_TYPE = "application/cloudevents+json"


def sign(secret: str, body: bytes) -> str:
    """The ``X-Cargohold-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def matches(webhook: WebhookRecord, kind: str, repository: str | None) -> bool:
    """Whether the webhook wants events of ``kind`` on ``repository``."""
    if not webhook.enabled or kind not in webhook.events:
        return False
    if repository is None:
        return "*" in webhook.repositories
    return any(fnmatchcase(repository, pattern) for pattern in webhook.repositories)


def rfc3339(moment: float) -> str:
    return times.rfc3339(moment, "milliseconds")


def cloudevent(event: EventRecord) -> dict[str, Any]:
    """The event as CloudEvents 1.0 JSON (structured mode)."""
    return {
        "specversion": "1.0",
        "type": event.type,
        "source": event.source,
        "id": event.id,
        "time": rfc3339(event.time),
        "subject": event.subject,
        "datacontenttype": "application/json",
        "data": event.data,
    }


def cloudevent_body(event: EventRecord) -> bytes:
    """The exact bytes sent, and signed, for every attempt of a delivery."""
    return json.dumps(cloudevent(event), separators=(",", ":"), ensure_ascii=False).encode()


def delivery_key(webhook_id: str, repository: str | None, subject: str) -> str:
    """The job key of one webhook's deliveries for one artifact: they go out in order."""
    artifact = hashlib.sha256(f"{repository or ''}\n{subject}".encode()).hexdigest()[:32]
    return f"webhook:{webhook_id}:{artifact}"


@dataclass(frozen=True, slots=True)
class NewWebhook:
    """What an administrator asks for in creating a webhook."""

    name: str
    url: str
    secret: str
    repositories: list[str]
    events: list[str]
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class WebhookChanges:
    """What an administrator changes of a webhook (None: leave it)."""

    name: str | None = None
    url: str | None = None
    secret: str | None = None
    repositories: list[str] | None = None
    events: list[str] | None = None
    enabled: bool | None = None


class Webhooks:
    """Webhook settings and their delivery logs, for administrators; which webhooks want an
    event, for the emitter."""

    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        targets: WebhookTargets,
        access: AccessControl,
        audit: AuditLog,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._access = access
        self._audit = audit
        self.targets = targets
        self.outbox = Outbox(meta, clock)
        # Every push asks which webhooks want it; the answer changes only with a write.
        self._enabled: ChangeAwareCache[None, list[WebhookRecord]] = ChangeAwareCache(
            meta.changes.read, limit=1, name="webhooks"
        )

    async def create(
        self, actor: Actor, read_webhook: Callable[[], Awaitable[NewWebhook]]
    ) -> WebhookRecord:
        """Create the webhook ``read_webhook`` returns (read once the caller may)."""
        admin = self._access.require_admin(actor.principal)
        new = await read_webhook()
        record = WebhookRecord(
            id=secrets.token_hex(8),
            name=_name(new.name),
            url=_url(new.url),
            secret=_secret(new.secret),
            repositories=_repositories(new.repositories),
            events=_events(new.events),
            enabled=new.enabled,
            created_at=self._clock(),
            created_by=admin.name,
        )
        await self._check_target(record.url)
        effects = self._audit.entry(actor, "webhook.create", f"webhooks/{record.id}", status=201)
        await to_thread.run_sync(self._meta.webhooks.create, record, effects)
        return record

    async def get(self, principal: Principal | None, webhook_id: str) -> WebhookRecord:
        self._access.require_admin(principal)
        return await self._existing(webhook_id)

    async def _existing(self, webhook_id: str) -> WebhookRecord:
        record = await self.find(webhook_id)
        if record is None:
            raise ResourceUnknown(f"webhook {webhook_id[:40]!r} does not exist")
        return record

    async def find(self, webhook_id: str) -> WebhookRecord | None:
        """The webhook, for the delivery job (no caller to check)."""
        return await to_thread.run_sync(self._meta.webhooks.get, webhook_id)

    async def page(
        self, principal: Principal | None, after: str | None, limit: int
    ) -> list[WebhookRecord]:
        self._access.require_admin(principal)
        return await to_thread.run_sync(self._meta.webhooks.page, after, limit)

    async def update(
        self,
        actor: Actor,
        webhook_id: str,
        read_changes: Callable[[], Awaitable[WebhookChanges]],
    ) -> WebhookRecord:
        """Apply the changes ``read_changes`` returns (read once the caller may)."""
        self._access.require_admin(actor.principal)
        changes = await read_changes()
        values: dict[str, Any] = {}
        if changes.name is not None:
            values["name"] = _name(changes.name)
        if changes.url is not None:
            values["url"] = _url(changes.url)
        if changes.secret is not None:
            values["secret"] = _secret(changes.secret)
        if changes.repositories is not None:
            values["repositories"] = _repositories(changes.repositories)
        if changes.events is not None:
            values["events"] = _events(changes.events)
        if changes.enabled is not None:
            values["enabled"] = changes.enabled
        if "url" in values:
            await self._check_target(values["url"])
        effects = self._audit.entry(actor, "webhook.update", f"webhooks/{webhook_id}")
        record = await to_thread.run_sync(self._meta.webhooks.update, webhook_id, values, effects)
        if record is None:
            raise ResourceUnknown(f"webhook {webhook_id[:40]!r} does not exist")
        return record

    async def _check_target(self, url: str) -> None:
        """Refuse a URL whose host is, or resolves to, an address webhooks may not reach."""
        try:
            await self.targets.resolve(urlsplit(url).hostname or "")
        except WebhookTargetRefused as exc:
            raise WebhookTargetRefused(f"'url' host {exc.message}") from exc

    async def delete(self, actor: Actor, webhook_id: str) -> None:
        self._access.require_admin(actor.principal)
        effects = self._audit.entry(actor, "webhook.delete", f"webhooks/{webhook_id}", status=204)
        if not await to_thread.run_sync(self._meta.webhooks.delete, webhook_id, effects):
            raise ResourceUnknown(f"webhook {webhook_id[:40]!r} does not exist")

    async def deliveries(
        self,
        principal: Principal | None,
        webhook_id: str,
        state: str | None,
        before: int | None,
        limit: int,
    ) -> list[DeliveryRecord]:
        """The delivery log, newest event first (``state``: only those in it)."""
        self._access.require_admin(principal)
        if state is not None and state not in DELIVERY_STATES:
            raise BadRequest(f"state must be one of: {', '.join(DELIVERY_STATES)}")
        await self._existing(webhook_id)
        return await to_thread.run_sync(
            self._meta.deliveries.page, webhook_id, state, before, limit
        )

    async def subscribed(self, kind: str, repository: str | None) -> list[WebhookRecord]:
        """The enabled webhooks that want this event."""

        async def load() -> list[WebhookRecord]:
            return await to_thread.run_sync(self._meta.webhooks.enabled)

        every = await self._enabled.get(None, load)
        return [w for w in every if matches(w, kind, repository)]


class Outbox:
    """What the delivery job does: take the oldest pending delivery of an artifact, count an
    attempt, and record how it went."""

    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    async def next(
        self, webhook_id: str, repository: str | None, subject: str
    ) -> DeliveryRecord | None:
        return await to_thread.run_sync(
            self._meta.deliveries.next_pending, webhook_id, repository, subject
        )

    async def begin(self, delivery: DeliveryRecord) -> DeliveryRecord | None:
        """The delivery with this attempt counted; None if it is no longer pending."""
        attempts = await to_thread.run_sync(self._meta.deliveries.begin_attempt, delivery.id)
        return None if attempts == 0 else replace(delivery, attempts=attempts)

    async def finish(
        self, delivery: DeliveryRecord, state: str, status_code: int | None, error: str | None
    ) -> None:
        if state not in DELIVERY_STATES:
            raise ValueError(f"no delivery state {state!r}")
        await to_thread.run_sync(
            self._meta.deliveries.finish_attempt,
            delivery.id,
            state,
            status_code,
            error,
            self._clock(),
        )


def _name(value: str) -> str:
    if not 0 < len(value.strip()) <= 128:
        raise BadRequest("'name' must be 1-128 characters")
    return value.strip()


def _url(value: str) -> str:
    if len(value) > MAX_URL:
        raise BadRequest(f"'url' must be at most {MAX_URL} characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise BadRequest(f"'url' is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise BadRequest(
            f"'url' must be an http:// or https:// URL with a host, not {value[:200]!r}"
        )
    if any(c.isspace() or not c.isprintable() for c in value):
        raise BadRequest("'url' must not contain spaces or control characters")
    return value


def _secret(value: str) -> str:
    if not MIN_SECRET <= len(value) <= MAX_SECRET:
        raise BadRequest(
            f"'secret' must be {MIN_SECRET}-{MAX_SECRET} characters (e.g. openssl rand -hex 20)"
        )
    return value


def _repositories(values: Iterable[str]) -> tuple[str, ...]:
    patterns = tuple(dict.fromkeys(validate_pattern(v) for v in values))
    if not patterns:
        raise BadRequest("'repositories' needs at least one key or pattern, e.g. ['*']")
    return patterns


def _events(values: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(values))
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        raise BadRequest(f"unknown event {unknown[0][:40]!r}; events are: {', '.join(EVENT_KINDS)}")
    if not kinds:
        raise BadRequest(f"'events' needs at least one of: {', '.join(EVENT_KINDS)}")
    return kinds


__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_EVENTS",
    "DELIVERY_HEADER",
    "DELIVERY_STATES",
    "EVENT_KINDS",
    "EVENT_TYPE_PREFIX",
    "MAX_DELIVERY_ATTEMPTS",
    "SIGNATURE_HEADER",
    "NewWebhook",
    "Outbox",
    "WebhookChanges",
    "Webhooks",
    "cloudevent",
    "cloudevent_body",
    "delivery_key",
    "matches",
    "rfc3339",
    "sign",
]
