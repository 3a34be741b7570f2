"""Components matched against advisories.

Advisories are indexed by (ecosystem without its release suffix, package name), so matching N
components against M advisories costs N look-ups plus the candidates found, not N times M.

How a component finds its advisories:

- Ecosystem: compared without the ":<release>" suffix ("Debian:12" → "Debian"). When both the
  advisory and the component name a release, they must be the same release: "v" prefixes and
  Ubuntu's ":LTS" / ":Pro:" markers are ignored, and a release matches its point releases
  ("12" ↔ "12.5", "v3.19" ↔ "3.19.1"). A component without a release matches every release
  (the finding lists the fixed versions of each).
- Name: PyPI names compared PEP 503-normalized; Maven names are "group:artifact" (a jar's
  component says in ``identity`` whether its name was read from the jar, found by its SHA-1,
  or guessed: the name is matched the same way whichever, so a guess finds an advisory only
  when it is the advisory's own name); Go's standard library is the component "stdlib" (its
  version the toolchain's, "go1.21.5" or "1.21.5").
- Source packages: Debian, Ubuntu, Alpine and the RPM distributions name source packages; a
  component that carries ``source_name`` is looked up by it, with ``source_version`` when
  present (Red Hat, which names binary or source RPMs, is looked up by both).
- Withdrawn advisories are ignored. A component and advisory yield at most one Finding, with
  the fixed versions of every affected entry that matched.

A version that cannot be compared is reported in ``Matches.undecided``, never dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from cargohold.analysis.model import Component
from cargohold.analysis.vulndb.osv import Advisory, Affected, split_ecosystem
from cargohold.analysis.vulndb.severity import rate
from cargohold.analysis.vulndb.versions import VersionError, fixed_in, is_affected

# Ecosystems whose advisories name the source package.
SOURCE_NAMED = frozenset(
    {
        "Debian",
        "Ubuntu",
        "Alpine",
        "Rocky Linux",
        "AlmaLinux",
        "openSUSE",
        "SUSE",
        "Mageia",
        "openEuler",
    }
)
# Ecosystems whose advisories name binary or source packages.
EITHER_NAMED = frozenset({"Red Hat"})
# Ecosystems whose ":<suffix>" is not a release (a repository URL).
_NO_RELEASE = frozenset({"Maven", "Packagist", "VSCode"})


@dataclass(frozen=True, slots=True)
class Finding:
    advisory: str  # the OSV id
    aliases: tuple[str, ...]
    severity: str  # LOW, MEDIUM, HIGH, CRITICAL, NONE or UNKNOWN
    fixed_in: tuple[str, ...]
    component: Component
    evidence: str  # where the component is: its evidence path
    matched: str  # why: "Debian:12 source glibc 2.36-9+deb12u3"


@dataclass(frozen=True, slots=True)
class Undecided:
    """A component an advisory names whose version could not be compared."""

    advisory: str
    component: Component
    reason: str


@dataclass(frozen=True, slots=True)
class Matches:
    findings: tuple[Finding, ...]
    undecided: tuple[Undecided, ...]


def normalize_name(ecosystem: str, name: str) -> str:
    base = split_ecosystem(ecosystem)[0]
    if base == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def _key(ecosystem: str, name: str) -> tuple[str, str]:
    return split_ecosystem(ecosystem)[0].casefold(), normalize_name(ecosystem, name)


def _release(ecosystem: str) -> tuple[str, ...] | None:
    base, release = split_ecosystem(ecosystem)
    if release is None or base in _NO_RELEASE:
        return None
    parts = [p.lower().removeprefix("v") for p in release.split(":")]
    parts = [p for p in parts if p and p not in {"lts", "pro"}]
    return tuple(parts) or None


def _same_release(advisory: tuple[str, ...] | None, component: tuple[str, ...] | None) -> bool:
    if advisory is None or component is None:
        return True
    if len(advisory) != len(component):
        return False
    for a, c in zip(advisory, component, strict=True):
        if a != c and not a.startswith(c + ".") and not c.startswith(a + "."):
            return False
    return True


class AdvisoryIndex:
    """Affected entries of the advisories, by (ecosystem, normalized name)."""

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self._by_key: dict[tuple[str, str], list[tuple[Advisory, Affected]]] = defaultdict(list)
        for advisory in advisories:
            if advisory.withdrawn:
                continue
            for affected in advisory.affected:
                self._by_key[_key(affected.ecosystem, affected.name)].append((advisory, affected))

    def candidates(self, ecosystem: str, name: str) -> list[tuple[Advisory, Affected]]:
        return self._by_key.get(_key(ecosystem, name), [])


def _lookups(component: Component) -> list[tuple[str, str, str]]:
    """(name, version, label) to look the component up by."""
    base = split_ecosystem(component.ecosystem)[0]
    binary = (component.name, component.version, component.name)
    if not component.source_name:
        return [binary]
    source = (
        component.source_name,
        component.source_version or component.version,
        f"source {component.source_name}",
    )
    if base in SOURCE_NAMED:
        return [source]
    if base in EITHER_NAMED:
        return [binary, source]
    return [binary]


def lookup_keys(component: Component) -> list[tuple[str, str]]:
    """The (casefolded ecosystem without release, normalized name) keys the component's
    advisories are found by: what to store to find, later, the artifacts an advisory names."""
    return [_key(component.ecosystem, name) for name, _, _ in _lookups(component)]


def match_index(components: Iterable[Component], index: AdvisoryIndex) -> Matches:
    findings: list[Finding] = []
    undecided: list[Undecided] = []
    for component in components:
        release = _release(component.ecosystem)
        hits: dict[str, tuple[Advisory, list[str], list[str]]] = {}
        for name, version, label in _lookups(component):
            for advisory, affected in index.candidates(component.ecosystem, name):
                if not _same_release(_release(affected.ecosystem), release):
                    continue
                try:
                    hit = is_affected(affected, version)
                except VersionError as exc:
                    undecided.append(Undecided(advisory.id, component, str(exc)))
                    continue
                if not hit:
                    continue
                _, fixes, why = hits.setdefault(advisory.id, (advisory, [], []))
                fixes.extend(f for f in fixed_in(affected) if f not in fixes)
                why.append(f"{affected.ecosystem} {label} {version}")
        for advisory, fixes, why in hits.values():
            findings.append(
                Finding(
                    advisory=advisory.id,
                    aliases=advisory.aliases,
                    severity=_severity(advisory, component),
                    fixed_in=tuple(fixes),
                    component=component,
                    evidence=component.evidence,
                    matched="; ".join(why),
                )
            )
    return Matches(tuple(findings), tuple(undecided))


def _severity(advisory: Advisory, component: Component) -> str:
    # Per-package severity (affected[].severity) takes precedence over the record's.
    for affected in advisory.affected:
        if affected.severity and any(
            _key(affected.ecosystem, affected.name) == _key(component.ecosystem, name)
            for name, _, _ in _lookups(component)
        ):
            return rate(affected.severity, affected.database_severity)
    fallback = advisory.database_severity or next(
        (a.database_severity for a in advisory.affected if a.database_severity), None
    )
    return rate(advisory.severity, fallback)


def match(components: Iterable[Component], advisories: Iterable[Advisory]) -> Matches:
    """Every (advisory, component) pair where the component's version is affected."""
    return match_index(components, AdvisoryIndex(advisories))


__all__ = [
    "AdvisoryIndex",
    "Finding",
    "Matches",
    "Undecided",
    "lookup_keys",
    "match",
    "match_index",
    "normalize_name",
]
