"""What a write causes, committed with it: its audit record, its events with their webhook
deliveries, its scan requests and other jobs (the transactional outbox).

Every write query that stands for a use case takes an ``Effects`` and calls ``commit_in``
inside its own transaction, after its checks: the write and all it causes commit together
or not at all, so a crash right after a commit never loses a webhook or a scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cargohold.meta.outbox.audit import append_audit
from cargohold.meta.outbox.events import append_event
from cargohold.meta.outbox.jobs import enqueue_in
from cargohold.meta.outbox.scans import request_scan, scan_is_current
from cargohold.records.events import EventRecord, NewDelivery
from cargohold.records.identity import AuditRecord
from cargohold.records.jobs import NewJob


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """Have ``digest`` scanned, with ``job``, unless its scan is current under ``cache_key``
    (``force``: scan it again anyway)."""

    digest: str
    kind: str
    name: str
    cache_key: str
    job: NewJob
    force: bool = False


@dataclass(frozen=True, slots=True)
class Effects:
    """What one write causes; ``time`` is when, on the registry's clock (jobs are queued,
    deliveries and scans requested, at that time)."""

    time: float = 0.0
    audit: tuple[AuditRecord, ...] = ()
    events: tuple[tuple[EventRecord, tuple[NewDelivery, ...]], ...] = ()
    scans: tuple[ScanRequest, ...] = ()
    jobs: tuple[NewJob, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.audit or self.events or self.scans or self.jobs)

    def __add__(self, other: Effects) -> Effects:
        return merged([self, other])


NO_EFFECTS = Effects()


@dataclass(frozen=True, slots=True)
class Committed:
    """What ``commit_in`` stored: the events' ``seq``s, whether each scan was queued, and
    the ids of every job it enqueued."""

    events: tuple[int, ...]
    scans: tuple[bool, ...]
    jobs: tuple[str, ...]


def commit_in(connection: sa.Connection, effects: Effects) -> Committed:
    """Store ``effects`` within the caller's transaction."""
    now = effects.time
    for record in effects.audit:
        append_audit(connection, record)
    seqs: list[int] = []
    job_ids: list[str] = []
    for event, deliveries in effects.events:
        appended = append_event(connection, event, deliveries, now)
        seqs.append(appended.seq)
        job_ids.extend(appended.jobs)
    queued: list[bool] = []
    for scan in effects.scans:
        before = request_scan(connection, scan.digest, scan.kind, scan.name, scan.cache_key, now)
        wanted = scan.force or not scan_is_current(before, scan.cache_key)
        if wanted:
            job_ids.append(enqueue_in(connection, scan.job, now))
        queued.append(wanted)
    job_ids.extend(enqueue_in(connection, job, now) for job in effects.jobs)
    return Committed(tuple(seqs), tuple(queued), tuple(job_ids))


class EffectQueries:
    """Effects that stand alone, with no write of their own (an event about a scan result,
    an audit record of a refusal)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def commit(self, effects: Effects) -> Committed:
        with self._engine.begin() as connection:
            return commit_in(connection, effects)


def merged(parts: Sequence[Effects]) -> Effects:
    """All of ``parts``, in order (``+`` of many, without copying for each)."""
    return Effects(
        max((p.time for p in parts), default=0.0),
        tuple(a for p in parts for a in p.audit),
        tuple(e for p in parts for e in p.events),
        tuple(s for p in parts for s in p.scans),
        tuple(j for p in parts for j in p.jobs),
    )


__all__ = [
    "NO_EFFECTS",
    "Committed",
    "EffectQueries",
    "Effects",
    "ScanRequest",
    "commit_in",
    "merged",
]
