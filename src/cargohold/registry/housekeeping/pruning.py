"""Pruning old rows: webhook deliveries that ended (a pending one never goes), then events
(not those a delivery still names), finished jobs, and the audit log only when the operator
set a retention for it. The queries delete in small batches, each its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread

from cargohold.meta.store import MetadataStore
from cargohold.registry.housekeeping.policy import HousekeepingPolicy


@dataclass(frozen=True, slots=True)
class Pruned:
    deliveries: int = 0
    events: int = 0
    jobs: int = 0
    audit: int = 0


class Pruning:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    async def prune(self, policy: HousekeepingPolicy) -> Pruned:
        now = self._clock()
        meta = self._meta

        async def older(prune: Callable[[float], int], days: int | None) -> int:
            cutoff = policy.cutoff(days, now)
            return 0 if cutoff is None else await to_thread.run_sync(prune, cutoff)

        # Deliveries first: an event goes only once no delivery names it.
        deliveries = await older(meta.deliveries.prune, policy.delivery_days)
        return Pruned(
            deliveries=deliveries,
            events=await older(meta.events.prune, policy.event_days),
            jobs=await older(meta.jobs.prune, policy.job_days),
            audit=await older(meta.audit.prune, policy.audit_days),
        )


__all__ = ["Pruned", "Pruning"]
