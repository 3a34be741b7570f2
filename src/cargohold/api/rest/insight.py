"""Insight over REST: ask for a scan, read an artifact's scan status, SBOM, components and
vulnerabilities, list the artifacts newly affected since a time, and where-used."""

from __future__ import annotations

from typing import cast

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import (
    INSIGHT_CURSOR,
    Cursor,
    Number,
    Position,
    Seconds,
    page_answer,
    page_params,
    page_request,
    paged,
)
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import optional_moment, parse_timestamp
from cargohold.core.errors import BadRequest
from cargohold.core.times import moment
from cargohold.records.insight import ComponentRow, FindingRecord, Location, ScanRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.insight.reports import Impact, Vulnerability
from cargohold.registry.registry import Registry
from cargohold.wire import insight as wire
from cargohold.wire.base import UNSET


class AffectedPosition(Position, frozen=True):
    """Where a page of /affected (oldest first) ends: its last finding."""

    found: Seconds
    digest: str
    advisory: str
    seq: Number


class HeldPosition(Position, frozen=True):
    """Where a page of where-used by package ends: the last component's digest and seq."""

    digest: str
    seq: Number


class FoundPosition(Position, frozen=True):
    """Where a page of where-used by advisory ends: the last finding's key."""

    digest: str
    advisory: str
    seq: Number


def scan_wire(record: ScanRecord) -> wire.Scan:
    return wire.Scan(
        digest=record.digest,
        kind=cast(wire.ArtifactKind, record.kind),
        name=record.name,
        status=cast(wire.ScanStatus, record.status),
        reasons=record.reasons,
        requested=moment(record.requested_at),
        scanned=optional_moment(record.scanned_at),
        matched=optional_moment(record.matched_at),
    )


def package_wire(row: ComponentRow) -> wire.Package:
    return wire.Package(name=row.name, version=row.version, purl=row.purl, ecosystem=row.ecosystem)


def component_wire(row: ComponentRow) -> wire.Component:
    return wire.Component(
        name=row.name,
        version=row.version,
        purl=row.purl,
        ecosystem=row.ecosystem,
        evidence=row.evidence,
        licenses=row.licenses,
        cataloger=row.cataloger,
        visible=row.visible,
        identity=UNSET if row.identity is None else row.identity,
    )


def location_wire(location: Location) -> wire.Location:
    return wire.Location(
        type=cast(wire.LocationType, location.kind),
        repository=location.repository,
        path=location.path,
        digest=location.digest,
        tags=location.tags if location.kind == "image" else UNSET,
        artifact=location.build_path or "" if location.kind == "build" else UNSET,
    )


def vulnerability_wire(item: Vulnerability) -> wire.Finding:
    return wire.Finding(
        advisory=item.finding.advisory_id,
        aliases=item.aliases,
        summary=item.summary,
        severity=cast(wire.Severity, item.finding.severity),
        fixed_in=item.finding.fixed_in,
        component=package_wire(item.component),
        evidence=item.component.evidence,
        found=moment(item.finding.found_at),
    )


def impact_wire(item: Impact) -> wire.ImpactItem:
    return wire.ImpactItem(
        digest=item.digest,
        component=package_wire(item.component),
        evidence=item.component.evidence,
        locations=[location_wire(where) for where in item.locations],
        advisory=UNSET if item.advisory is None else item.advisory,
        undecided=UNSET if item.undecided is None else item.undecided,
    )


def affected_wire(row: tuple[FindingRecord, tuple[Location, ...]]) -> wire.Affected:
    finding, where = row
    return wire.Affected(
        digest=finding.digest,
        advisory=finding.advisory_id,
        severity=cast(wire.Severity, finding.severity),
        found=moment(finding.found_at),
        locations=[location_wire(w) for w in where],
    )


class InsightEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._insight = registry.insight
        self._scans = registry.on_demand_scans
        self._referrers = registry.sbom_referrers

    async def attach_sbom(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.SbomAttach)
        attached = await self._referrers.attach(
            Actor(caller, client_address(request)),
            body.string("image", required=True),
            body.string("format", "cyclonedx"),
        )
        sbom = wire.AttachedSbom(
            digest=attached.digest,
            subject=attached.subject,
            artifact_type=attached.artifact_type,
            image=attached.image,
        )
        return WireResponse(sbom, status_code=201)

    async def request_scan(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.ScanRequest)
        force = body.boolean("force", False)
        digest = body.optional_string("digest")
        if digest is not None and (body.has("image") or body.has("file")):
            raise BadRequest("name the artifact by one of image, file or digest")
        asked = await self._scans.request(
            Actor(caller, client_address(request)),
            image=None if digest is not None else body.optional_string("image"),
            file=None if digest is not None else body.optional_string("file"),
            digest=digest,
            force=force,
        )
        scan = scan_wire(asked.scan)
        answer = wire.QueuedScan(**msgspec.structs.asdict(scan), queued=asked.queued)
        return WireResponse(answer, status_code=202)

    async def find_scan(self, request: Request, caller: Principal | None) -> Response:
        query = request.query_params
        target = await self._insight.locate(
            caller, image=query.get("image"), file=query.get("file")
        )
        return WireResponse(scan_wire(await self._insight.scan(caller, target.digest)))

    async def scan(self, request: Request, caller: Principal | None) -> Response:
        record = await self._insight.scan(caller, request.path_params["digest"])
        return WireResponse(scan_wire(record))

    async def sbom(self, request: Request, caller: Principal | None) -> Response:
        fmt = request.query_params.get("format", "cyclonedx")
        media_type, text = await self._insight.sbom(
            caller, request.path_params["digest"], fmt, all_layers=_all_layers(request)
        )
        return Response(text, media_type=media_type)

    async def components(self, request: Request, caller: Principal | None) -> Response:
        every = _all_layers(request)
        rows = await self._insight.components(caller, request.path_params["digest"])
        items = [component_wire(r) for r in rows if r.visible or every]
        return WireResponse(wire.Components(items))

    async def vulnerabilities(self, request: Request, caller: Principal | None) -> Response:
        report = await self._insight.report(caller, request.path_params["digest"])
        return WireResponse(
            wire.Vulnerabilities(
                digest=report.scan.digest,
                status=cast(wire.ScanStatus, report.scan.status),
                reasons=report.scan.reasons,
                findings=[vulnerability_wire(v) for v in report.vulnerabilities],
            )
        )

    async def affected(self, request: Request, caller: Principal | None) -> Response:
        since = parse_timestamp("since", request.query_params.get("since"))
        if since is None:
            raise BadRequest("since is required: an RFC 3339 time like 2026-11-26T10:00:00Z")
        limit, after = page_request(request, AffectedPosition, INSIGHT_CURSOR)
        position = None if after is None else msgspec.structs.astuple(after)
        rows = await self._insight.affected_since(caller, since, position, limit + 1)
        return paged(request, rows, limit, affected_wire, lambda row: _position(row[0]))

    async def impact(self, request: Request, caller: Principal | None) -> Response:
        query = request.query_params
        unknown = sorted(set(query) - {"purl", "range", "advisory", "limit", "after"})
        if unknown:
            raise BadRequest(
                f"unknown parameter {unknown[0][:40]!r}; use purl (and range) or advisory"
            )
        purl, advisory = query.get("purl"), query.get("advisory")
        if (purl is None) == (advisory is None):
            raise BadRequest("ask with either purl (and optionally range) or advisory")
        limit, cursor = page_params(request, INSIGHT_CURSOR)
        if advisory is not None:
            if "range" in query:
                raise BadRequest("range goes with purl, not with advisory")
            found = None if cursor is None else Cursor.decode(cursor, FoundPosition)
            after = None if found is None else msgspec.structs.astuple(found)
            page = await self._insight.impact_advisory(caller, advisory, after, limit)
        else:
            assert purl is not None
            held = None if cursor is None else Cursor.decode(cursor, HeldPosition)
            after = None if held is None else msgspec.structs.astuple(held)
            page = await self._insight.impact_purl(caller, purl, query.get("range"), after, limit)
        return page_answer(request, [impact_wire(i) for i in page.items], limit, page.next)


def _all_layers(request: Request) -> bool:
    layers = request.query_params.get("layers", "visible")
    if layers not in ("visible", "all"):
        raise BadRequest("layers must be visible (what a container sees) or all")
    return layers == "all"


def _position(finding: FindingRecord) -> AffectedPosition:
    return AffectedPosition(finding.found_at, finding.digest, finding.advisory_id, finding.seq)


__all__ = [
    "InsightEndpoints",
    "affected_wire",
    "impact_wire",
    "location_wire",
    "scan_wire",
    "vulnerability_wire",
]
