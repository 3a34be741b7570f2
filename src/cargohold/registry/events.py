"""Events: what happened to an artifact (pushed, deleted, promoted, properties changed), as
CloudEvents 1.0, stored and handed to every webhook that subscribes to it.

``emit`` stores the event, a pending delivery per matching webhook and the job that sends
them, in one transaction, before it returns: an event emitted is delivered even if the
server stops the next moment. It never fails its caller: a push does not fail because an
event could not be recorded (the server log says so).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from cargohold.core.errors import StorageFull
from cargohold.meta.events import EventRecord, NewDelivery
from cargohold.meta.jobs import NewJob
from cargohold.meta.store import MetadataStore
from cargohold.registry.jobs import JobQueue
from cargohold.registry.webhooks import (
    EVENT_KINDS,
    EVENT_TYPE_PREFIX,
    MAX_DELIVERY_ATTEMPTS,
    Webhooks,
    delivery_key,
)

DELIVER_JOB = "webhook.deliver"
MAX_SUBJECT = 1200
log = logging.getLogger("cargohold.events")


@dataclass(frozen=True, slots=True)
class Happened:
    """One event to emit: ``kind`` happened to ``subject`` in ``repository``."""

    kind: str
    repository: str | None
    subject: str
    data: dict[str, object]
    actor: str | None = None


def delivery_job(webhook_id: str, repository: str | None, subject: str) -> NewJob:
    """The job that sends one webhook's pending deliveries for one artifact, in order."""
    return NewJob(
        DELIVER_JOB,
        {"webhook": webhook_id, "repository": repository, "subject": subject},
        key=delivery_key(webhook_id, repository, subject),
        # Each delivery has its own limit; the job's own only stops a worker that keeps
        # dying while it runs.
        max_attempts=MAX_DELIVERY_ATTEMPTS + 2,
    )


class Events:
    def __init__(
        self,
        meta: MetadataStore,
        jobs: JobQueue,
        webhooks: Webhooks,
        clock: Callable[[], float],
    ) -> None:
        self._meta = meta
        self._jobs = jobs
        self._webhooks = webhooks
        self._clock = clock

    async def emit(
        self,
        kind: str,
        repository: str | None,
        subject: str,
        data: dict[str, object],
        actor: str | None = None,
    ) -> None:
        """Record that ``kind`` happened to ``subject`` in ``repository`` and deliver it to
        the webhooks that want it. ``actor`` goes into ``data`` as ``principal`` unless the
        data names one already."""
        await self.emit_many([Happened(kind, repository, subject, data, actor)])

    async def emit_many(self, happenings: Sequence[Happened]) -> None:
        """``emit`` each, in order, stored in one transaction (a re-match reports a
        thousand affected artifacts at once)."""
        if not happenings:
            return
        unknown = [h.kind for h in happenings if h.kind not in EVENT_KINDS]
        if unknown:
            raise ValueError(f"no event kind {unknown[0]!r}; kinds are {EVENT_KINDS}")
        now = self._clock()
        items: list[tuple[EventRecord, list[NewDelivery]]] = []
        try:
            for happened in happenings:
                event = self._event(happened, now)
                webhooks = await self._webhooks.subscribed(happened.kind, happened.repository)
                deliveries = [
                    NewDelivery(
                        secrets.token_hex(16),
                        w.id,
                        delivery_job(w.id, happened.repository, event.subject),
                    )
                    for w in webhooks
                ]
                items.append((event, deliveries))
            appended = await to_thread.run_sync(self._meta.events.append_many, items, now)
        except StorageFull as exc:
            log.warning("%d events not recorded: %s", len(happenings), exc)
            return
        except Exception:
            log.exception("%d events (first: %s) not recorded", len(happenings), happenings[0])
            return
        if any(a.jobs for a in appended):
            self._jobs.notify()

    @staticmethod
    def _event(happened: Happened, now: float) -> EventRecord:
        payload: dict[str, Any] = dict(happened.data)
        if happened.actor is not None:
            payload.setdefault("principal", happened.actor)
        repository = happened.repository
        return EventRecord(
            seq=0,
            id=str(uuid.uuid4()),
            type=EVENT_TYPE_PREFIX + happened.kind,
            source=f"/repositories/{repository}" if repository else "/",
            subject=happened.subject[:MAX_SUBJECT],
            repository=repository,
            time=now,
            data=payload,
        )


__all__ = ["DELIVER_JOB", "Events", "Happened", "delivery_job"]
