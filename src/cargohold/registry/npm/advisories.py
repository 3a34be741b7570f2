"""``npm audit`` answered from cargohold's own advisory database (OSV records imported with
``cargohold vulndb import``): for each package name and the versions a project installs, the
advisories whose npm ranges include one of them, in the shape of the npm registry's bulk
advisory endpoint (``{name: [{id, url, title, severity, vulnerable_versions, cwe, cvss}]}``).

Versions are matched with the advisory database's own range code (semver for npm), never as
strings; a version that does not parse is left out rather than guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from anyio import to_thread

from cargohold.analysis.vulndb.osv import Advisory, Affected, MalformedRecord, parse_record
from cargohold.analysis.vulndb.severity import base_score, rate
from cargohold.analysis.vulndb.versions import VersionError, is_affected
from cargohold.core.errors import BadRequest
from cargohold.meta.store import MetadataStore
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.npm.reading import FORMAT
from cargohold.registry.packages.files import PackageFiles

MAX_NAMES = 10_000
MAX_VERSIONS = 100_000
# npm's severity words for the database's levels.
SEVERITIES = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "moderate",
    "LOW": "low",
    "NONE": "info",
    "UNKNOWN": "info",
}


class NpmAudit:
    def __init__(self, meta: MetadataStore, packages: PackageFiles) -> None:
        self._meta = meta
        self._packages = packages

    async def bulk(
        self, principal: Principal | None, key: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, list[dict[str, Any]]]:
        """The advisories affecting ``wanted`` ({name: [versions]}), by name."""
        await self._packages.allowed(principal, key, FORMAT, Action.READ)
        if len(wanted) > MAX_NAMES:
            raise BadRequest(f"an audit names at most {MAX_NAMES} packages")
        if sum(len(v) for v in wanted.values()) > MAX_VERSIONS:
            raise BadRequest(f"an audit names at most {MAX_VERSIONS} versions")
        return await to_thread.run_sync(self._bulk, wanted)

    def _bulk(self, wanted: Mapping[str, Sequence[str]]) -> dict[str, list[dict[str, Any]]]:
        records = self._meta.advisories.for_packages(("npm", name) for name in wanted)
        out: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            if record.withdrawn is not None:
                continue
            try:
                raw = json.loads(record.record)
                advisory = parse_record(raw)
            except (ValueError, MalformedRecord):
                continue
            for affected in advisory.affected:
                if affected.ecosystem != "npm" or affected.name not in wanted:
                    continue
                if not any(_affects(affected, v) for v in wanted[affected.name]):
                    continue
                found = out.setdefault(affected.name, [])
                if all(a["id"] != advisory.id for a in found):
                    found.append(_shown(advisory, affected, raw))
        return out


def _affects(affected: Affected, version: str) -> bool:
    try:
        return is_affected(affected, version)
    except VersionError:
        return False


def _shown(advisory: Advisory, affected: Affected, raw: Mapping[str, Any]) -> dict[str, Any]:
    fallback = affected.database_severity or advisory.database_severity
    severity = rate(affected.severity or advisory.severity, fallback)
    specific = raw.get("database_specific")
    cwe = specific.get("cwe_ids", []) if isinstance(specific, dict) else []
    scores = affected.severity or advisory.severity
    cvss = next(((k, v) for k, v in scores if base_score(k, v) is not None), None)
    vector = None if cvss is None else cvss[1]
    score = 0.0 if cvss is None else base_score(*cvss) or 0.0
    return {
        "id": advisory.id,
        "url": _url(advisory, raw),
        "title": advisory.summary or advisory.id,
        "severity": SEVERITIES.get(severity, "info"),
        "vulnerable_versions": vulnerable_versions(affected),
        "cwe": [c for c in cwe if isinstance(c, str)] if isinstance(cwe, list) else [],
        "cvss": {"score": score, "vectorString": vector},
    }


def _url(advisory: Advisory, raw: Mapping[str, Any]) -> str:
    references = raw.get("references")
    if isinstance(references, list):
        for reference in references:
            if isinstance(reference, dict) and reference.get("type") == "ADVISORY":
                url = reference.get("url")
                if isinstance(url, str):
                    return url
    return f"https://osv.dev/vulnerability/{advisory.id}"


def vulnerable_versions(affected: Affected) -> str:
    """An npm range (``>=1.0.0 <1.2.3 || 2.0.0``) for the affected versions."""
    parts: list[str] = []
    for range_ in affected.ranges:
        if range_.type == "GIT":
            continue
        low: str | None = None
        for kind, value in range_.events:
            if kind == "introduced":
                low = "" if value == "0" else f">={value}"
            elif kind in ("fixed", "last_affected") and low is not None:
                high = f"<{value}" if kind == "fixed" else f"<={value}"
                parts.append(f"{low} {high}".strip())
                low = None
        if low is not None:
            parts.append(low or "*")
    parts.extend(affected.versions)
    return " || ".join(parts) or "*"


__all__ = ["NpmAudit", "vulnerable_versions"]
