"""Insight over REST: ask for a scan, read an artifact's scan status, SBOM, components and
vulnerabilities, list the artifacts newly affected since a time, and where-used."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import (
    decode_cursor,
    encode_cursor,
    next_link,
    page_params,
    page_response,
)
from cargohold.api.rest.views import parse_timestamp, timestamp
from cargohold.core.errors import BadRequest
from cargohold.records.insight import ComponentRow, FindingRecord, Location, ScanRecord
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.insight.reports import Impact, Target, Vulnerability
from cargohold.registry.registry import Registry

MAX_CURSOR = 512


def scan_json(record: ScanRecord) -> dict[str, Any]:
    return {
        "digest": record.digest,
        "kind": record.kind,
        "name": record.name,
        "status": record.status,
        "reasons": list(record.reasons),
        "requested": timestamp(record.requested_at),
        "scanned": timestamp(record.scanned_at),
        "matched": timestamp(record.matched_at),
    }


def component_json(row: ComponentRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "version": row.version,
        "purl": row.purl,
        "ecosystem": row.ecosystem,
    }


def location_json(location: Location) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": location.kind,
        "repository": location.repository,
        "path": location.path,
        "digest": location.digest,
    }
    if location.kind == "image":
        doc["tags"] = list(location.tags)
    if location.kind == "build":
        doc["artifact"] = location.build_path
    return doc


def vulnerability_json(item: Vulnerability) -> dict[str, Any]:
    return {
        "advisory": item.finding.advisory_id,
        "aliases": list(item.aliases),
        "summary": item.summary,
        "severity": item.finding.severity,
        "fixed_in": list(item.finding.fixed_in),
        "component": component_json(item.component),
        "evidence": item.component.evidence,
        "found": timestamp(item.finding.found_at),
    }


def impact_json(item: Impact) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "digest": item.digest,
        "component": component_json(item.component),
        "evidence": item.component.evidence,
        "locations": [location_json(where) for where in item.locations],
    }
    if item.advisory is not None:
        doc["advisory"] = item.advisory
    if item.undecided is not None:
        doc["undecided"] = item.undecided
    return doc


class InsightEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._insight = registry.insight
        self._scans = registry.scans
        self._referrers = registry.sbom_referrers

    async def attach_sbom(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, ("image", "format"))
        attached = await self._referrers.attach(
            caller, body.string("image", required=True), body.string("format", "cyclonedx")
        )
        return JSONResponse(
            {
                "digest": attached.digest,
                "subject": attached.subject,
                "artifactType": attached.artifact_type,
                "image": attached.image,
            },
            status_code=201,
        )

    async def request_scan(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, ("image", "file", "digest", "force"))
        force = body.boolean("force", False)
        digest = body.optional_string("digest")
        if digest is not None:
            if body.has("image") or body.has("file"):
                raise BadRequest("name the artifact by one of image, file or digest")
            record = await self._insight.scan(caller, digest)
            target = Target(record.digest, record.kind, record.name)
        else:
            target = await self._insight.locate(
                caller, image=body.optional_string("image"), file=body.optional_string("file")
            )
        queued = await self._scans.request(target.digest, target.kind, target.name, force=force)
        record = await self._insight.scan(caller, target.digest)
        return JSONResponse(scan_json(record) | {"queued": queued}, status_code=202)

    async def find_scan(self, request: Request, caller: Principal | None) -> Response:
        query = request.query_params
        target = await self._insight.locate(
            caller, image=query.get("image"), file=query.get("file")
        )
        return JSONResponse(scan_json(await self._insight.scan(caller, target.digest)))

    async def scan(self, request: Request, caller: Principal | None) -> Response:
        record = await self._insight.scan(caller, request.path_params["digest"])
        return JSONResponse(scan_json(record))

    async def sbom(self, request: Request, caller: Principal | None) -> Response:
        fmt = request.query_params.get("format", "cyclonedx")
        media_type, text = await self._insight.sbom(
            caller, request.path_params["digest"], fmt, all_layers=_all_layers(request)
        )
        return Response(text, media_type=media_type)

    async def components(self, request: Request, caller: Principal | None) -> Response:
        every = _all_layers(request)
        rows = await self._insight.components(caller, request.path_params["digest"])
        items = [
            component_json(r)
            | {
                "evidence": r.evidence,
                "licenses": list(r.licenses),
                "cataloger": r.cataloger,
                "visible": r.visible,
            }
            for r in rows
            if r.visible or every
        ]
        return JSONResponse({"items": items})

    async def vulnerabilities(self, request: Request, caller: Principal | None) -> Response:
        report = await self._insight.report(caller, request.path_params["digest"])
        return JSONResponse(
            {
                "digest": report.scan.digest,
                "status": report.scan.status,
                "reasons": list(report.scan.reasons),
                "findings": [vulnerability_json(v) for v in report.vulnerabilities],
            }
        )

    async def affected(self, request: Request, caller: Principal | None) -> Response:
        since = parse_timestamp("since", request.query_params.get("since"))
        if since is None:
            raise BadRequest("since is required: an RFC 3339 time like 2026-11-26T10:00:00Z")
        limit, after = page_params(request, MAX_CURSOR)
        rows = await self._insight.affected_since(caller, since, _position(after), limit + 1)

        def render(row: tuple[FindingRecord, tuple[Location, ...]]) -> dict[str, Any]:
            finding, where = row
            return {
                "digest": finding.digest,
                "advisory": finding.advisory_id,
                "severity": finding.severity,
                "found": timestamp(finding.found_at),
                "locations": [location_json(w) for w in where],
            }

        return page_response(request, rows, limit, render, lambda row: _cursor(row[0]))

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
        limit, cursor = page_params(request, MAX_CURSOR)
        if advisory is not None:
            if "range" in query:
                raise BadRequest("range goes with purl, not with advisory")
            # a page of findings ends at (digest, advisory, seq)
            after = None if cursor is None else tuple(decode_cursor(cursor, str, str, int))
            page = await self._insight.impact_advisory(caller, advisory, after, limit)
        else:
            assert purl is not None
            # a page of components ends at (digest, seq)
            after = None if cursor is None else tuple(decode_cursor(cursor, str, int))
            page = await self._insight.impact_purl(caller, purl, query.get("range"), after, limit)
        next_cursor = None if page.next is None else encode_cursor(page.next)
        headers = next_link(request, limit, next_cursor) if next_cursor is not None else {}
        return JSONResponse(
            {"items": [impact_json(i) for i in page.items], "next": next_cursor}, headers=headers
        )


def _all_layers(request: Request) -> bool:
    layers = request.query_params.get("layers", "visible")
    if layers not in ("visible", "all"):
        raise BadRequest("layers must be visible (what a container sees) or all")
    return layers == "all"


def _cursor(finding: FindingRecord) -> str:
    return encode_cursor([finding.found_at, finding.digest, finding.advisory_id, finding.seq])


def _position(cursor: str | None) -> tuple[float, str, str, int] | None:
    if cursor is None:
        return None
    found_at, digest, advisory, seq = decode_cursor(cursor, float, str, str, int)
    return float(found_at), digest, advisory, seq


__all__ = ["InsightEndpoints", "scan_json", "vulnerability_json"]
