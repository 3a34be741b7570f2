"""Versions compared with each ecosystem's own ordering (univers), never as strings, and the
OSV evaluation algorithm (https://ossf.github.io/osv-schema/#evaluation) over them.

A version the scheme cannot parse — the component's, or a bound in an advisory — raises
UnparsableVersion; an ECOSYSTEM range in an ecosystem without a known scheme raises
UnknownScheme. Neither is ever turned into "not affected": the caller records it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from univers.versions import (
    AlpineLinuxVersion,
    DebianVersion,
    InvalidVersion,
    MavenVersion,
    NugetVersion,
    PypiVersion,
    RpmVersion,
    RubygemsVersion,
    SemverVersion,
    Version,
)

from cargohold.analysis.vulndb.osv import Affected, EventKind, Range, scheme_for, split_ecosystem


class VersionError(ValueError):
    """A version range that cannot be decided; the finding is unknown, not absent."""


class UnparsableVersion(VersionError):
    def __init__(self, version: str, scheme: str, reason: str = "") -> None:
        self.version, self.scheme = version, scheme
        super().__init__(f"{version!r} is not a valid {scheme} version{reason and ': ' + reason}")


class UnknownScheme(VersionError):
    def __init__(self, ecosystem: str) -> None:
        self.ecosystem = ecosystem
        super().__init__(f"no version ordering known for ecosystem {ecosystem!r}")


# Go toolchain versions as a binary reports them: go1.21.5, go1.21, go1.21rc2, go1.9beta1.
_GO_TOOLCHAIN = re.compile(r"^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$")


def _go(version: str) -> str:
    """Go module versions (v1.2.3, pseudo-versions, +incompatible) and Go toolchain versions
    (go1.21.5, as the ``stdlib`` component carries them) as plain semver."""
    toolchain = _GO_TOOLCHAIN.match(version)
    if toolchain:
        major, minor, patch, pre, pre_n = toolchain.groups()
        core = f"{major}.{minor}.{patch or 0}"
        return f"{core}-{pre}.{pre_n}" if pre else core
    return _semver(version.removeprefix("v"))


def _semver(version: str) -> str:
    # Build metadata does not take part in semver precedence (SemVer 2.0 §10), but univers
    # compares it; drop it.
    return version.partition("+")[0]


def _strict_semver(version: str) -> str:
    # univers' SemverVersion "coerces" (1.2 → 1.2.0): fine for npm-like data, but reject the
    # obviously non-semver so a bad string is reported instead of reordered.
    if not re.match(r"^v?\d+(\.\d+){0,2}([-+].*)?$", version):
        raise InvalidVersion(version)
    return _semver(version)


_SCHEMES: dict[str, tuple[type[Version], Callable[[str], str]]] = {
    "deb": (DebianVersion, str),
    "rpm": (RpmVersion, str),
    "apk": (AlpineLinuxVersion, str),
    "pypi": (PypiVersion, str),
    "semver": (SemverVersion, _strict_semver),
    "go": (SemverVersion, _go),
    "maven": (MavenVersion, str),
    "gem": (RubygemsVersion, str),
    "nuget": (NugetVersion, str),
}

SCHEME_NAMES: frozenset[str] = frozenset(_SCHEMES)


@lru_cache(maxsize=65536)
def parse(scheme: str, version: str) -> Any:
    """A comparable value for ``version`` in ``scheme`` (one of SCHEME_NAMES)."""
    try:
        cls, prepare = _SCHEMES[scheme]
    except KeyError:
        raise UnknownScheme(scheme) from None
    if not version or version != version.strip():
        raise UnparsableVersion(version, scheme, "empty or padded with spaces")
    try:
        return cls(prepare(version))
    except (InvalidVersion, ValueError, TypeError, IndexError) as exc:
        raise UnparsableVersion(version, scheme, str(exc)) from exc


def compare(scheme: str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b`` in ``scheme``."""
    left, right = parse(scheme, a), parse(scheme, b)
    return -1 if left < right else (1 if left > right else 0)


_CONSTRAINT = re.compile(r"^(>=|<=|!=|>|<|=)?\s*([0-9A-Za-z][0-9A-Za-z.+:~_-]*)$")
_TESTS = {
    ">=": lambda c: c >= 0,
    "<=": lambda c: c <= 0,
    "!=": lambda c: c != 0,
    ">": lambda c: c > 0,
    "<": lambda c: c < 0,
    "=": lambda c: c == 0,
}


def constraints(text: str) -> list[tuple[str, str]]:
    """``">=2.0.0|<2.17.1"`` (or with commas, or ``vers:TYPE/…``) → ``[(">=", "2.0.0"),
    ("<", "2.17.1")]``; every constraint must hold. Raises ValueError on a malformed one."""
    body = text.split("/", 1)[1] if text.startswith("vers:") and "/" in text else text
    out: list[tuple[str, str]] = []
    for raw in re.split(r"[|,]", body):
        part = raw.strip()
        if not part:
            continue
        found = _CONSTRAINT.match(part)
        if found is None:
            raise ValueError(f"{part[:40]!r} is not OPERATOR VERSION (>=, <=, >, <, =, !=)")
        out.append((found.group(1) or "=", found.group(2)))
    if not out:
        raise ValueError("no constraint given")
    return out


def satisfies(scheme: str, version: str, wanted: list[tuple[str, str]]) -> bool:
    """Whether ``version`` meets every constraint, compared in ``scheme``; raises VersionError
    when a version cannot be parsed."""
    return all(_TESTS[op](compare(scheme, version, bound)) for op, bound in wanted)


def range_scheme(affected: Affected, range_: Range) -> str:
    """The ordering a range uses: semver for SEMVER ranges whatever the ecosystem (with Go's
    spelling of versions for Go), the ecosystem's own for ECOSYSTEM ranges."""
    base = split_ecosystem(affected.ecosystem)[0]
    if range_.type == "SEMVER":
        return "go" if base == "Go" else "semver"
    scheme = scheme_for(affected.ecosystem)
    if scheme is None:
        raise UnknownScheme(affected.ecosystem)
    return scheme


def is_affected(affected: Affected, version: str) -> bool:
    """Whether ``version`` of the package ``affected`` names is affected, by the OSV
    evaluation algorithm: an exact ``versions`` entry, or inside any ECOSYSTEM / SEMVER range
    (GIT ranges need the repository's commit graph and are ignored)."""
    if _in_versions(affected, version):
        return True
    for range_ in affected.ranges:
        if range_.type == "GIT":
            continue
        if _in_range(range_scheme(affected, range_), range_, version):
            return True
    return False


def fixed_in(affected: Affected) -> list[str]:
    """Every version that fixes the vulnerability, in record order, without repeats."""
    out: list[str] = []
    for range_ in affected.ranges:
        if range_.type == "GIT":
            continue
        for kind, value in range_.events:
            if kind == "fixed" and value not in out:
                out.append(value)
    return out


def _in_versions(affected: Affected, version: str) -> bool:
    if version in affected.versions:
        return True
    scheme = scheme_for(affected.ecosystem)
    if scheme is None or not affected.versions:
        return False
    mine = parse(scheme, version)
    for listed in affected.versions:
        try:
            if parse(scheme, listed) == mine:
                return True
        except UnparsableVersion:
            continue  # lists often carry upstream tags in other spellings; exact match only
    return False


def _in_range(scheme: str, range_: Range, version: str) -> bool:
    # Only < and > are used: univers' Alpine (Gentoo) versions define those two, and their
    # inherited >= and <= compare the raw strings.
    v = parse(scheme, version)
    if not _before_limits(scheme, range_, v):
        return False
    events = sorted(
        ((kind, value) for kind, value in range_.events if kind != "limit"),
        key=lambda event: _event_key(scheme, event),
    )
    vulnerable = False
    for kind, value in events:
        if kind == "introduced":
            if value == "0" or not v < parse(scheme, value):
                vulnerable = True
        elif kind == "fixed":
            if not v < parse(scheme, value):
                vulnerable = False
        elif kind == "last_affected" and v > parse(scheme, value):
            vulnerable = False
    return vulnerable


def _before_limits(scheme: str, range_: Range, v: Any) -> bool:
    limits = [value for kind, value in range_.events if kind == "limit"]
    if not limits:
        return True  # an implicit limit "*"
    return any("*" in limit or v < parse(scheme, limit) for limit in limits)


def _event_key(scheme: str, event: tuple[EventKind, str]) -> _EventKey:
    kind, value = event
    return _EventKey(None if kind == "introduced" and value == "0" else parse(scheme, value))


class _EventKey:
    """Sorts parsed versions, with None — the "0" of ``introduced`` — before all of them."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _EventKey) -> bool:
        if self.value is None:
            return other.value is not None
        if other.value is None:
            return False
        return bool(self.value < other.value)


__all__ = [
    "SCHEME_NAMES",
    "UnknownScheme",
    "UnparsableVersion",
    "VersionError",
    "compare",
    "constraints",
    "fixed_in",
    "is_affected",
    "parse",
    "range_scheme",
    "satisfies",
]
