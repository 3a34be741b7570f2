"""Scans, SBOM referrers, components, findings, where-used and the advisory database on the
wire."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described

Severity = Literal["NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
ScanStatus = Literal["pending", "done", "incomplete", "failed"]
ArtifactKind = Literal["image", "file"]
LocationType = Literal["image", "file", "build"]
Evidence = Annotated[
    str,
    described(
        "Where it was found, through nested archives: `sha256:<layer>!/opt/app/web.war!/"
        "WEB-INF/lib/x.jar`."
    ),
]


class Scan(Wire, frozen=True):
    digest: str
    kind: ArtifactKind
    name: Annotated[str, described("Where it was first pushed: `dev/team/app`, `KEY/PATH`.")]
    status: ScanStatus
    reasons: Annotated[
        tuple[str, ...], described("Why it is incomplete or failed: the limit hit and where.")
    ]
    requested: Timestamp
    scanned: Timestamp | None
    matched: Timestamp | None


class QueuedScan(Scan, frozen=True):
    queued: Annotated[bool, described("Whether a scan job was queued now.")]


class ScanRequest(Body, frozen=True):
    """One of image (`REPO/NAME:TAG` or `@DIGEST`), file (`KEY/PATH`) or digest (an artifact
    scanned before)."""

    image: str | UnsetType = UNSET
    file: str | UnsetType = UNSET
    digest: str | UnsetType = UNSET
    force: Annotated[bool, described("Scan again even if it was.")] = False


class SbomAttach(Body, frozen=True):
    image: Annotated[str, described("`dev/team/app:1.4` or `dev/team/app@sha256:…`.")]
    format: Literal["cyclonedx", "spdx"] = "cyclonedx"


class AttachedSbom(Wire, frozen=True):
    digest: Annotated[str, described("The referrer manifest's digest.")]
    subject: Annotated[str, described("The image's digest.")]
    artifact_type: str
    image: Annotated[str, described("`REPO/NAME` it was pushed to.")]


class Package(Wire, frozen=True):
    name: str
    version: str
    purl: Annotated[str, described("A package URL.")]
    ecosystem: Annotated[str, described("The OSV ecosystem: Debian, PyPI, npm, Maven, Go, …")]


class Component(Package, frozen=True):
    evidence: Evidence
    licenses: tuple[str, ...]
    cataloger: str
    visible: Annotated[bool, described("False: a later layer deleted or replaced it.")]
    identity: (
        Annotated[
            str,
            described(
                "Which rule of its cataloger named it, when the cataloger has several of unequal"
                " trust. Jars, most trustworthy first: `pom.properties`, `sha1-table` (its"
                " SHA-1 is a known Maven artifact's), `manifest:<field>` (a manifest field names"
                " a known artifact, e.g. `manifest:Bundle-SymbolicName`), `guess:manifest`,"
                " `guess:file-name` (a guessed name). Absent when unknown: a cataloger with one"
                " rule, or a scan stored before the rule was kept (scan it again with `force`)."
            ),
        ]
        | UnsetType
    ) = UNSET


class Components(Wire, frozen=True):
    items: list[Component]


class Finding(Wire, frozen=True):
    advisory: Annotated[str, described("The OSV id.")]
    aliases: tuple[str, ...]
    summary: str
    severity: Severity
    fixed_in: Annotated[tuple[str, ...], described("Versions that fix it.")] = msgspec.field(
        name="fixed_in"
    )
    component: Package
    evidence: Evidence
    found: Timestamp


class Vulnerabilities(Wire, frozen=True):
    digest: str
    status: ScanStatus
    reasons: tuple[str, ...]
    findings: Annotated[list[Finding], described("Worst first.")]


class Location(Wire, frozen=True):
    type: LocationType
    repository: str
    path: Annotated[
        str,
        described("The image name in the repository, the file's path, or a build's NAME/NUMBER."),
    ]
    digest: str
    tags: Annotated[tuple[str, ...], described("An image's tags.")] | UnsetType = UNSET
    artifact: (
        Annotated[str, described("A build's artifact: the image name or file path.")] | UnsetType
    ) = UNSET


class Affected(Wire, frozen=True):
    digest: str
    advisory: str
    severity: Severity
    found: Timestamp
    locations: list[Location]


class ImpactItem(Wire, frozen=True):
    digest: str
    component: Package
    evidence: Evidence
    locations: list[Location]
    advisory: str | UnsetType = UNSET
    undecided: (
        Annotated[str, described("Why the version could not be placed in the range.")] | UnsetType
    ) = UNSET


class VulnDbStats(Wire, frozen=True):
    count: Annotated[int, Meta(ge=0, description="Advisories stored.")]


class VulnDbImport(Wire, frozen=True):
    added: Annotated[int, Meta(ge=0, description="New advisories.")]
    updated: Annotated[int, Meta(ge=0, description="Stored advisories replaced by a newer one.")]
    unchanged: Annotated[int, Meta(ge=0, description="Advisories already stored as they are.")]
    problems: Annotated[tuple[str, ...], described("Skipped records: `where: reason`.")]


class Advisory(Wire, frozen=True):
    """The OSV record as imported, plus `severity`; the record's other members are passed
    through as they are (https://ossf.github.io/osv-schema/)."""

    id: str
    modified: str
    severity: Severity


__all__ = [
    "Advisory",
    "Affected",
    "ArtifactKind",
    "AttachedSbom",
    "Component",
    "Components",
    "Finding",
    "ImpactItem",
    "Location",
    "LocationType",
    "Package",
    "QueuedScan",
    "SbomAttach",
    "Scan",
    "ScanRequest",
    "ScanStatus",
    "Severity",
    "VulnDbImport",
    "VulnDbStats",
    "Vulnerabilities",
]
