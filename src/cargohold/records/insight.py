"""Insight as values: advisories, scans, the components found and the findings, where-used."""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("pending", "done", "incomplete", "failed")


@dataclass(frozen=True, slots=True)
class ScanRecord:
    digest: str
    kind: str  # image or file
    name: str  # the repository path or file path it was first pushed as
    status: str
    reasons: tuple[str, ...]
    cache_key: str
    requested_at: float
    scanned_at: float | None
    matched_at: float | None


@dataclass(frozen=True, slots=True)
class ComponentRow:
    seq: int
    name: str
    version: str
    ecosystem: str
    purl: str
    purl_key: str
    cataloger: str
    evidence: str
    licenses: tuple[str, ...]
    source_name: str | None
    source_version: str | None
    visible: bool
    # Which rule of its cataloger named it (java: "pom.properties", "sha1-table", "guess:…");
    # None when the cataloger has one rule only, or the scan was stored before it was kept.
    identity: str | None = None


@dataclass(frozen=True, slots=True)
class NewFinding:
    advisory_id: str
    seq: int  # of the component
    severity: str
    fixed_in: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FindingRecord:
    digest: str
    advisory_id: str
    seq: int
    severity: str
    fixed_in: tuple[str, ...]
    found_at: float


@dataclass(frozen=True, slots=True)
class Location:
    """Where an artifact is: an image (``path`` is the image name, ``tags`` its tags), a
    generic file (``path`` is the file's path), or a build that produced it (``path`` is
    ``NAME/NUMBER``, ``build_path`` the image or file it names in ``repository``)."""

    kind: str  # image, file or build
    repository: str
    path: str
    digest: str
    tags: tuple[str, ...] = ()
    build_path: str | None = None


@dataclass(frozen=True, slots=True)
class AdvisoryRecord:
    id: str
    modified: float
    withdrawn: float | None
    summary: str
    severity: str
    aliases: tuple[str, ...]
    record: str  # the OSV JSON as imported
    packages: tuple[tuple[str, str], ...]  # (ecosystem without release, normalized name)
    imported_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ImportCounts:
    added: int
    updated: int
    unchanged: int


__all__ = [
    "STATUSES",
    "AdvisoryRecord",
    "ComponentRow",
    "FindingRecord",
    "ImportCounts",
    "Location",
    "NewFinding",
    "ScanRecord",
]
