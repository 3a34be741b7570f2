"""``/gc`` and ``/blobs/{digest}/references``: run a garbage collection, and ask why a
blob is still here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import optional_moment
from cargohold.core.digest import Digest
from cargohold.core.times import moment
from cargohold.records.gc import BlobReferences, GcReport
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire import gc as wire


def report_wire(report: GcReport) -> wire.GcReport:
    return wire.GcReport(
        dry_run=report.dry_run,
        started=moment(report.started_at),
        duration_seconds=round(report.duration, 3),
        grace_seconds=report.grace,
        blobs_deleted=report.blobs,
        bytes_freed=report.bytes,
        manifests_removed=report.manifests,
        unrecorded_blobs=report.unrecorded,
        blobs_left=report.left,
    )


def references_wire(found: BlobReferences) -> wire.BlobReferences:
    return wire.BlobReferences(
        digest=found.digest,
        size=found.size,
        stored=found.stored,
        live=found.live,
        deleting=found.deleting,
        holders=tuple(
            wire.BlobHolder(h.kind, h.repository, h.name, h.digest, h.tags)  # type: ignore[arg-type]
            for h in found.holders
        ),
        touched=optional_moment(found.touched_at),
        collectable=optional_moment(found.collectable_at),
    )


class GcEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._gc = registry.gc

    async def run(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.GcRequest)
        actor = Actor(caller, client_address(request))
        report = await self._gc.run(actor, body.boolean("dryRun", False))
        return WireResponse(report_wire(report))

    async def references(self, request: Request, caller: Principal | None) -> Response:
        digest = Digest.parse(request.path_params["digest"])
        return WireResponse(references_wire(await self._gc.references(caller, digest)))


__all__ = ["GcEndpoints"]
