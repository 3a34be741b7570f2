"""The operations of the advisory database, scans, SBOMs, vulnerabilities and where-used."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    ADMIN,
    SIGNED_IN,
    TIMESTAMP,
    Json,
    content,
    get,
    listing,
    operation,
    parameter,
    response,
    schema,
)
from cargohold.api.rest.pages import INSIGHT_CURSOR
from cargohold.wire.insight import (
    Advisory,
    Affected,
    AttachedSbom,
    Components,
    ImpactItem,
    QueuedScan,
    SbomAttach,
    Scan,
    ScanRequest,
    VulnDbImport,
    VulnDbStats,
    Vulnerabilities,
)

# The digest grammar of the OCI image spec: algorithm ":" encoded.
DIGEST_PATTERN = "^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"
READERS = "Anyone who may read a repository the artifact is in."


def vulndb_paths() -> Json:
    osv = {"type": "object", "description": "OSV records (https://ossf.github.io/osv-schema/)."}
    return {
        "/vulndb": {
            "get": operation(
                "getVulnDbStats",
                "How many advisories the database holds.",
                SIGNED_IN,
                {"200": response("The statistics.", VulnDbStats)},
                "401 429",
            ),
        },
        "/vulndb/import": {
            "post": operation(
                "importAdvisories",
                "Import OSV advisories: a zip in the format of OSV.dev's per-ecosystem "
                "`all.zip` exports, a JSON array of records, or one record. Incremental and "
                "idempotent: a stored advisory is replaced only by a newer `modified`. "
                "Malformed records are skipped and listed in `problems`; at most 512 MiB.",
                ADMIN,
                {"200": response("Imported.", VulnDbImport)},
                "400 401 403 413 429",
            )
            | {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/zip": {"schema": {"type": "string", "format": "binary"}},
                        "application/json": {"schema": osv},
                    },
                }
            },
        },
        "/vulndb/advisories/{id}": {
            "parameters": [
                parameter("id", "The OSV id, e.g. `GHSA-jfh8-c2jp-5v3q`.", where="path")
            ],
            "get": get(
                "getAdvisory",
                "Show an advisory: the OSV record as imported, plus its severity.",
                SIGNED_IN,
                Advisory,
            ),
        },
    }


def insight_paths() -> Json:
    digest = parameter(
        "digest",
        "The artifact's digest: `sha256:…`.",
        schema("string", pattern=DIGEST_PATTERN, maxLength=200),
        where="path",
    )
    layers = parameter(
        "layers",
        "`visible` (what a container sees) or `all` (also what later layers deleted).",
        schema("string", enum=["visible", "all"], default="visible"),
    )
    json_object = {"type": "object"}
    after = parameter(
        "after",
        "The `next` cursor of the previous page (opaque).",
        schema("string", maxLength=INSIGHT_CURSOR),
    )
    return {
        "/scan": {
            "get": operation(
                "findScan",
                "The scan of an image (`image=REPO/NAME:TAG`) or file (`file=KEY/PATH`).",
                READERS,
                {"200": response("Found.", Scan)},
                "400 401 403 404 429",
                parameters=[
                    parameter("image", "`dev/team/app:1.4` or `dev/team/app@sha256:…`."),
                    parameter("file", "`generic-local/libs/x.jar`."),
                ],
                anonymous=True,
            ),
            "post": operation(
                "requestScan",
                "Have an artifact scanned. Pushes and deploys are scanned anyway, once per "
                "content digest; `force` scans again (layers come from the cache).",
                READERS,
                {"202": response("Queued, or already scanned.", QueuedScan)},
                "400 401 403 404 429",
                body=ScanRequest,
                anonymous=True,
            ),
        },
        "/artifacts/{digest}/scan": {
            "parameters": [digest],
            "get": get(
                "getScan",
                "An artifact's scan status.",
                READERS,
                Scan,
                "400 401 403 404 429",
                anonymous=True,
            ),
        },
        "/sbom/attach": {
            "post": operation(
                "attachSbom",
                "Push an image's SBOM as an OCI referrer of it (artifactType "
                "`application/vnd.cyclonedx+json` or `application/spdx+json`), so the "
                "referrers API and `oras discover` list it.",
                "Anyone who may write to the image's repository.",
                {"201": response("Attached.", AttachedSbom)},
                "400 401 403 404 429",
                body=SbomAttach,
            ),
        },
        "/artifacts/{digest}/sbom": {
            "parameters": [digest],
            "get": operation(
                "getSbom",
                "The artifact's SBOM: CycloneDX 1.6 JSON or SPDX 2.3 JSON. An incomplete "
                "scan says so, with its reasons, in the document.",
                READERS,
                {
                    "200": {
                        "description": "The SBOM.",
                        "content": {
                            **content(json_object, "application/vnd.cyclonedx+json"),
                            **content(json_object, "application/spdx+json"),
                        },
                    }
                },
                "400 401 403 404 429",
                parameters=[
                    parameter(
                        "format",
                        "The SBOM format.",
                        schema("string", enum=["cyclonedx", "spdx"], default="cyclonedx"),
                    ),
                    layers,
                ],
                anonymous=True,
            ),
        },
        "/artifacts/{digest}/components": {
            "parameters": [digest],
            "get": operation(
                "listComponents",
                "The packages found in the artifact, with their evidence paths.",
                READERS,
                {"200": response("Found.", Components)},
                "400 401 403 404 429",
                parameters=[layers],
                anonymous=True,
            ),
        },
        "/artifacts/{digest}/vulnerabilities": {
            "parameters": [digest],
            "get": get(
                "getVulnerabilities",
                "The advisories that affect the artifact's components, worst first.",
                READERS,
                Vulnerabilities,
                "400 401 403 404 429",
                anonymous=True,
            ),
        },
        "/affected": {
            "get": listing(
                "listAffected",
                "Findings first found at `since` or later (by a scan, or by the re-match after "
                "an advisory import), oldest first, with where each artifact is.",
                READERS,
                Affected,
                parameter("since", "The earliest time.", TIMESTAMP) | {"required": True},
                anonymous=True,
                after=after,
            ),
        },
        "/impact": {
            "get": listing(
                "whereUsed",
                "Where-used: every readable image, file and build that holds a package (`purl`, "
                "optionally `range`, or the exact version the purl names) or is affected by an "
                "advisory (an OSV id or alias), in digest order. A page may hold fewer than "
                "`limit` items and still have a `next`: follow it until it is null.",
                "Anyone; only artifacts in repositories the caller may read are listed.",
                ImpactItem,
                parameter("purl", "`pkg:maven/org.apache.logging.log4j/log4j-core`."),
                parameter("range", "`<2.17.1`, `>=2.0.0,<2.17.1` or `vers:maven/<2.17.1`."),
                parameter("advisory", "`CVE-2021-44228` or `GHSA-jfh8-c2jp-5v3q`."),
                errors="400 401 404 429",
                anonymous=True,
                after=after,
            ),
        },
    }


__all__ = ["insight_paths", "vulndb_paths"]
