"""Every kind of job a worker runs, listed here: kind → handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from cargohold.jobs.gc import CollectJob
from cargohold.jobs.housekeeping import HousekeepingJob
from cargohold.jobs.retention import RetentionJob
from cargohold.jobs.runner import Handlers
from cargohold.jobs.scans import RematchJob, ScanJob
from cargohold.jobs.webhooks import WebhookDelivery
from cargohold.registry.events.emitter import DELIVER_JOB
from cargohold.registry.gc.service import GC_JOB
from cargohold.registry.housekeeping.job import HOUSEKEEPING_JOB
from cargohold.registry.insight.scans import REMATCH_JOB, SCAN_JOB
from cargohold.registry.registry import Registry
from cargohold.registry.retention.runs import RUN_JOB as RETENTION_JOB


@asynccontextmanager
async def job_handlers(
    registry: Registry, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Handlers]:
    """The handlers, with the HTTP client they share open while the runner runs."""
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as http:
        yield {
            DELIVER_JOB: WebhookDelivery(registry.webhooks, registry.jobs, http),
            SCAN_JOB: ScanJob(registry.scans),
            REMATCH_JOB: RematchJob(registry.scans),
            GC_JOB: CollectJob(registry.gc),
            RETENTION_JOB: RetentionJob(registry.retention),
            HOUSEKEEPING_JOB: HousekeepingJob(registry.housekeeping),
        }


__all__ = ["job_handlers"]
