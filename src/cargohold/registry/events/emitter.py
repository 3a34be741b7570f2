"""Events: what happened to an artifact (pushed, deleted, promoted, properties changed), as
CloudEvents 1.0, stored and handed to every webhook that subscribes to it.

A use case that writes puts its events into the effects of that write (``effects``): the
event, a pending delivery per matching webhook and the job that sends them commit with the
change, so an event is delivered even if the server stops the moment after. An event with
no write of its own (a scan result, a policy violation) is stored by ``emit``, which never
fails its caller (the server log says so).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cargohold.core.errors import StorageFull
from cargohold.meta.effects import Effects, merged
from cargohold.records.events import EventRecord, NewDelivery
from cargohold.records.jobs import NewJob
from cargohold.registry.events.webhooks import (
    EVENT_KINDS,
    EVENT_TYPE_PREFIX,
    MAX_DELIVERY_ATTEMPTS,
    Webhooks,
    delivery_key,
)
from cargohold.registry.jobs import JobQueue

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
        jobs: JobQueue,
        webhooks: Webhooks,
        clock: Callable[[], float],
    ) -> None:
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
        try:
            await self._jobs.commit(await self.effects(happenings))
        except StorageFull as exc:
            log.warning("%d events not recorded: %s", len(happenings), exc)
        except Exception:
            log.exception("%d events (first: %s) not recorded", len(happenings), happenings[0])

    async def effects(self, happenings: Sequence[Happened]) -> Effects:
        """The events, each with a delivery to every webhook that wants it, to commit with
        the write that makes them happen."""
        announcers: dict[tuple[str, str | None], Announcer] = {}
        parts = []
        for happened in happenings:
            where = (happened.kind, happened.repository)
            if where not in announcers:  # a re-match reports a thousand in one repository
                announcers[where] = await self.announcer(*where)
            parts.append(announcers[where](happened.subject, happened.data, happened.actor))
        return merged(parts)

    async def announcer(self, kind: str, repository: str | None) -> Announcer:
        """What makes events of ``kind`` in ``repository`` once the write knows their
        subjects (a folder deleted: each file in it), inside its transaction."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"no event kind {kind!r}; kinds are {EVENT_KINDS}")
        webhooks = await self._webhooks.subscribed(kind, repository)
        return Announcer(kind, repository, tuple(w.id for w in webhooks), self._clock())


@dataclass(frozen=True, slots=True)
class Announcer:
    """Events of one kind in one repository, delivered to the webhooks that want them."""

    kind: str
    repository: str | None
    webhooks: tuple[str, ...]
    time: float

    def __call__(self, subject: str, data: dict[str, object], actor: str | None) -> Effects:
        payload: dict[str, Any] = dict(data)
        if actor is not None:
            payload.setdefault("principal", actor)
        repository = self.repository
        event = EventRecord(
            seq=0,
            id=str(uuid.uuid4()),
            type=EVENT_TYPE_PREFIX + self.kind,
            source=f"/repositories/{repository}" if repository else "/",
            subject=subject[:MAX_SUBJECT],
            repository=repository,
            time=self.time,
            data=payload,
        )
        deliveries = tuple(
            NewDelivery(secrets.token_hex(16), w, delivery_job(w, repository, event.subject))
            for w in self.webhooks
        )
        return Effects(self.time, events=((event, deliveries),))


__all__ = ["DELIVER_JOB", "Announcer", "Events", "Happened", "delivery_job"]
