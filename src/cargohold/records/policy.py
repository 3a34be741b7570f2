"""Policy as values: policies, watches, exceptions, and the facts a rule looks at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    name: str
    description: str
    rules: Mapping[str, Any] = field(hash=False, compare=True)
    actions: Mapping[str, bool] = field(hash=False, compare=True)
    created_at: float = 0.0
    updated_at: float = 0.0
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class WatchRecord:
    name: str
    description: str
    repositories: tuple[str, ...]
    policies: tuple[str, ...]
    created_at: float = 0.0
    updated_at: float = 0.0
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    id: str
    digest: str
    advisory: str  # an OSV id or alias, or ``license:<name>``
    policy: str | None  # None: under every policy
    reason: str
    expires_at: float
    created_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class FindingFact:
    advisory_id: str
    severity: str
    aliases: tuple[str, ...]
    component: str
    version: str


@dataclass(frozen=True, slots=True)
class LicensedComponent:
    name: str
    version: str
    licenses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArtifactFacts:
    """What the policies of one artifact are evaluated on (its scan status comes from the
    scans table)."""

    findings: tuple[FindingFact, ...]
    licensed: tuple[LicensedComponent, ...]
    exceptions: tuple[ExceptionRecord, ...]


__all__ = [
    "ArtifactFacts",
    "ExceptionRecord",
    "FindingFact",
    "LicensedComponent",
    "PolicyRecord",
    "WatchRecord",
]
