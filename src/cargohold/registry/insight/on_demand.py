"""A scan a user asks for (a push or a deploy asks for one by itself): of an artifact the
caller may read, named by image reference, file or digest; queued unless its result is current
(``force``: again anyway), with its audit record in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.records.insight import ScanRecord
from cargohold.registry.consequences import Consequences
from cargohold.registry.identity.audit import Actor
from cargohold.registry.insight.reports import Insight, Target


@dataclass(frozen=True, slots=True)
class ScanAsked:
    scan: ScanRecord  # as it is now
    queued: bool  # False: its result is current (or a scan is pending) and nothing was queued


class OnDemandScans:
    def __init__(self, insight: Insight, consequences: Consequences) -> None:
        self._insight = insight
        self._then = consequences

    async def request(
        self,
        actor: Actor,
        *,
        image: str | None = None,
        file: str | None = None,
        digest: str | None = None,
        force: bool = False,
    ) -> ScanAsked:
        """Have the artifact ``digest`` names (one that was scanned or asked for before), or
        else the one ``image`` or ``file`` names, scanned."""
        principal = actor.principal
        if digest is not None:
            record = await self._insight.scan(principal, digest)
            target = Target(record.digest, record.kind, record.name)
        else:
            target = await self._insight.locate(principal, image=image, file=file)
        then = self._then
        recorded = then.audit.entry(actor, "scan.request", "scan", status=202)
        requested = then.scans.requested(target.digest, target.kind, target.name, force=force)
        committed = await then.jobs.commit(recorded + requested)
        return ScanAsked(await self._insight.scan(principal, target.digest), committed.scans[0])


__all__ = ["OnDemandScans", "ScanAsked"]
