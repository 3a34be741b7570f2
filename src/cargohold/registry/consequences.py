"""What a use case that writes records besides the change itself: its audit record, its
events, its scan requests, and the job queue to wake once they are committed
(``meta/effects.py``); and the policies' say on a download.

A format's use cases (``oci``, ``generic``, those to come) get one ``Consequences`` and need
nothing from ``insight`` but a way to ask for a scan (``ScanRequests``), nor from ``policy``
but whether a download is allowed (``DownloadGate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cargohold.meta.effects import Effects
from cargohold.registry.events.emitter import Events
from cargohold.registry.identity.audit import AuditLog
from cargohold.registry.jobs import JobQueue


class ScanRequests(Protocol):
    def requested(self, digest: str, kind: str, name: str, *, force: bool = False) -> Effects:
        """Have ``digest`` (an artifact of ``kind``, pushed as ``name``) scanned, as an effect
        of the write that pushed it."""
        ...


class DownloadGate(Protocol):
    async def check_download(self, repository: str, digest: str) -> None:
        """Raise PolicyViolation if a policy watching ``repository`` blocks ``digest``."""
        ...


@dataclass(frozen=True, slots=True)
class Consequences:
    audit: AuditLog
    events: Events
    scans: ScanRequests
    jobs: JobQueue
    downloads: DownloadGate


__all__ = ["Consequences", "DownloadGate", "ScanRequests"]
