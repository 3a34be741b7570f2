"""What a use case that writes checks and records besides the change itself: the caller's
right, its audit record, its events, its scan requests, and the job queue to wake once they
are committed (``meta/effects.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.registry.events.emitter import Events
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import AuditLog
from cargohold.registry.insight.scans import Scans
from cargohold.registry.jobs import JobQueue


@dataclass(frozen=True, slots=True)
class Consequences:
    access: AccessControl
    audit: AuditLog
    events: Events
    scans: Scans
    jobs: JobQueue


__all__ = ["Consequences"]
