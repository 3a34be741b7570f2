"""OSV records (https://ossf.github.io/osv-schema/) read into frozen values.

Records come as one JSON object, a JSON array of objects, or a zip in the format of OSV.dev's
per-ecosystem ``all.zip`` exports (one ``<ID>.json`` per record). A malformed record is
reported — its id, or its index or zip entry when it has no usable id, and the reason — and
skipped; reading never fails on bad input. Parsing the same bytes twice gives equal values.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Literal, cast

from cargohold.core.jsondoc import JsonLimits, JsonRejected, read_json

RangeType = Literal["ECOSYSTEM", "SEMVER", "GIT"]
EventKind = Literal["introduced", "fixed", "last_affected", "limit"]

RANGE_TYPES: frozenset[str] = frozenset({"ECOSYSTEM", "SEMVER", "GIT"})
EVENT_KINDS: tuple[EventKind, ...] = ("introduced", "fixed", "last_affected", "limit")

# Zip entries past this size are rejected unread (after decompression, checked as read).
MAX_RECORD_BYTES = 10 * 1024 * 1024
# An import may be one JSON array of every record; a record nests a few levels.
OSV_LIMITS = JsonLimits(max_bytes=512 * 1024 * 1024, max_depth=128)

# The version scheme of each OSV ecosystem, by the ecosystem's name without its ":<release>"
# suffix. Ecosystems missing here can still match through ``versions`` lists and SEMVER
# ranges; their ECOSYSTEM ranges cannot be evaluated (versions.UnknownScheme).
SCHEMES: Mapping[str, str] = {
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
    "PyPI": "pypi",
    "npm": "semver",
    "crates.io": "semver",
    "Hex": "semver",
    "Pub": "semver",
    "SwiftURL": "semver",
    "Go": "go",
    "Maven": "maven",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "Red Hat": "rpm",
    "Rocky Linux": "rpm",
    "AlmaLinux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "Photon OS": "rpm",
    "openEuler": "rpm",
}


def split_ecosystem(ecosystem: str) -> tuple[str, str | None]:
    """``"Debian:12"`` → ``("Debian", "12")``; ``"Alpine:v3.19"`` → ``("Alpine", "v3.19")``;
    ``"PyPI"`` → ``("PyPI", None)``. Only the first colon splits: ``"Ubuntu:22.04:LTS"`` →
    ``("Ubuntu", "22.04:LTS")``, ``"Maven:https://maven.google.com"`` → a repository URL."""
    base, sep, release = ecosystem.partition(":")
    return base, (release if sep and release else None)


def scheme_for(ecosystem: str) -> str | None:
    """The version scheme of an ecosystem as OSV writes it (release suffix allowed)."""
    return SCHEMES.get(split_ecosystem(ecosystem)[0])


@dataclass(frozen=True, slots=True)
class Range:
    type: RangeType
    events: tuple[tuple[EventKind, str], ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class Affected:
    ecosystem: str  # as OSV writes it: "Debian:12", "Alpine:v3.19", "PyPI"
    name: str
    purl: str | None
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    severity: tuple[tuple[str, str], ...] = ()  # affected[].severity: (type, score)
    database_severity: str | None = None  # affected[].database_specific.severity


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    modified: str
    published: str | None
    withdrawn: str | None
    aliases: tuple[str, ...]
    summary: str
    severity: tuple[tuple[str, str], ...]  # (type, score): ("CVSS_V3", "CVSS:3.1/AV:N/…")
    affected: tuple[Affected, ...]
    database_severity: str | None = None  # database_specific.severity (GHSA: "MODERATE", …)


@dataclass(frozen=True, slots=True)
class Problem:
    """A record that was skipped: ``where`` is its id, or its index / zip entry name."""

    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class Parsed:
    advisories: tuple[Advisory, ...]
    problems: tuple[Problem, ...]


class MalformedRecord(ValueError):
    """An OSV record that does not follow the schema."""


def parse_record(obj: object) -> Advisory:
    """One OSV record from its decoded JSON. Raises MalformedRecord."""
    if not isinstance(obj, dict):
        raise MalformedRecord(f"a record is a JSON object, not {_kind(obj)}")
    record = cast(dict[str, object], obj)
    ident = _required(record, "id")
    affected: list[Affected] = []
    for i, entry in enumerate(_list(record, "affected")):
        parsed = _affected(entry, f"affected[{i}]")
        if parsed is not None:
            affected.append(parsed)
    return Advisory(
        id=ident,
        modified=_required(record, "modified"),
        published=_str(record, "published"),
        withdrawn=_str(record, "withdrawn"),
        aliases=tuple(_strings(record, "aliases")),
        summary=_str(record, "summary") or "",
        severity=_severity(record, "severity"),
        affected=tuple(affected),
        database_severity=_database_severity(record),
    )


def parse_json(data: bytes | str, where: str = "") -> Parsed:
    """Records from a JSON object or a JSON array of objects."""
    try:
        doc = read_json(data, OSV_LIMITS)
    except JsonRejected as exc:
        return Parsed((), (Problem(where or "<input>", exc.message),))
    if isinstance(doc, list):
        return _collect(
            (f"{where}[{i}]" if where else f"[{i}]", item) for i, item in enumerate(doc)
        )
    return _collect([(where or "<input>", doc)])


def read_zip(
    source: str | os.PathLike[str] | IO[bytes], max_record: int = MAX_RECORD_BYTES
) -> Parsed:
    """Records from an OSV.dev ``all.zip`` export, one entry at a time, each bounded by
    ``max_record`` bytes however much its header claims."""
    advisories: list[Advisory] = []
    problems: list[Problem] = []
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        return Parsed((), (Problem("<zip>", f"not a readable zip: {exc}"),))
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            if not name.lower().endswith(".json"):
                problems.append(Problem(name, "not a .json entry"))
                continue
            if info.file_size > max_record:
                problems.append(Problem(name, f"{info.file_size} bytes, over {max_record}"))
                continue
            try:
                with archive.open(info) as entry:
                    data = entry.read(max_record + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
                problems.append(Problem(name, f"unreadable entry: {exc}"))
                continue
            if len(data) > max_record:
                problems.append(Problem(name, f"over {max_record} bytes once decompressed"))
                continue
            parsed = parse_json(data, where=name)
            advisories.extend(parsed.advisories)
            problems.extend(parsed.problems)
    return Parsed(tuple(advisories), tuple(problems))


def _collect(items: Iterable[tuple[str, object]]) -> Parsed:
    advisories: list[Advisory] = []
    problems: list[Problem] = []
    for where, item in items:
        try:
            advisories.append(parse_record(item))
        except MalformedRecord as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            label = f"{where} ({ident})" if isinstance(ident, str) and ident else where
            problems.append(Problem(label, str(exc)))
    return Parsed(tuple(advisories), tuple(problems))


def _affected(obj: object, where: str) -> Affected | None:
    if not isinstance(obj, dict):
        raise MalformedRecord(f"{where}: an object, not {_kind(obj)}")
    entry = cast(dict[str, object], obj)
    package = entry.get("package")
    if package is None:
        # GIT-only entries (no package) cannot match an inventoried component.
        return None
    if not isinstance(package, dict):
        raise MalformedRecord(f"{where}.package: an object, not {_kind(package)}")
    pkg = cast(dict[str, object], package)
    ecosystem = _required(pkg, "ecosystem", f"{where}.package")
    name = _required(pkg, "name", f"{where}.package")
    ranges = tuple(
        _range(r, f"{where}.ranges[{i}]") for i, r in enumerate(_list(entry, "ranges", where))
    )
    return Affected(
        ecosystem=ecosystem,
        name=name,
        purl=_str(pkg, "purl", f"{where}.package"),
        ranges=ranges,
        versions=tuple(_strings(entry, "versions", where)),
        severity=_severity(entry, "severity", where),
        database_severity=_database_severity(entry),
    )


def _range(obj: object, where: str) -> Range:
    if not isinstance(obj, dict):
        raise MalformedRecord(f"{where}: an object, not {_kind(obj)}")
    entry = cast(dict[str, object], obj)
    kind = entry.get("type")
    if kind not in RANGE_TYPES:
        raise MalformedRecord(f"{where}.type: {kind!r} is not ECOSYSTEM, SEMVER or GIT")
    events: list[tuple[EventKind, str]] = []
    for i, event in enumerate(_list(entry, "events", where)):
        if not isinstance(event, dict) or len(event) != 1:
            raise MalformedRecord(f"{where}.events[{i}]: an object with exactly one key")
        ((key, value),) = cast(dict[str, object], event).items()
        if key not in EVENT_KINDS:
            raise MalformedRecord(f"{where}.events[{i}]: unknown event {key!r}")
        if not isinstance(value, str) or not value:
            raise MalformedRecord(f"{where}.events[{i}].{key}: a non-empty string")
        events.append((key, value))
    if not any(k == "introduced" for k, _ in events):
        raise MalformedRecord(f"{where}.events: no 'introduced' event")
    kinds = {k for k, _ in events}
    if "fixed" in kinds and "last_affected" in kinds:
        raise MalformedRecord(f"{where}.events: both 'fixed' and 'last_affected'")
    repo = entry.get("repo")
    return Range(
        type=cast(RangeType, kind),
        events=tuple(events),
        repo=repo if isinstance(repo, str) else None,
    )


def _severity(obj: dict[str, object], key: str, where: str = "") -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for i, item in enumerate(_list(obj, key, where)):
        if not isinstance(item, dict):
            raise MalformedRecord(f"{_at(where, key)}[{i}]: an object, not {_kind(item)}")
        entry = cast(dict[str, object], item)
        kind, score = entry.get("type"), entry.get("score")
        if not isinstance(kind, str) or not isinstance(score, str):
            raise MalformedRecord(f"{_at(where, key)}[{i}]: 'type' and 'score' are strings")
        out.append((kind, score))
    return tuple(out)


def _database_severity(obj: dict[str, object]) -> str | None:
    specific = obj.get("database_specific")
    if isinstance(specific, dict):
        value = cast(dict[str, object], specific).get("severity")
        if isinstance(value, str) and value:
            return value
    return None


def _required(obj: dict[str, object], key: str, where: str = "") -> str:
    value = _str(obj, key, where)
    if not value:
        raise MalformedRecord(f"{_at(where, key)}: missing or empty")
    return value


def _str(obj: dict[str, object], key: str, where: str = "") -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedRecord(f"{_at(where, key)}: a string, not {_kind(value)}")
    return value


def _list(obj: dict[str, object], key: str, where: str = "") -> list[object]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedRecord(f"{_at(where, key)}: an array, not {_kind(value)}")
    return cast(list[object], value)


def _strings(obj: dict[str, object], key: str, where: str = "") -> list[str]:
    values = _list(obj, key, where)
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise MalformedRecord(f"{_at(where, key)}[{i}]: a string, not {_kind(value)}")
    return cast(list[str], values)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


__all__ = [
    "EVENT_KINDS",
    "MAX_RECORD_BYTES",
    "OSV_LIMITS",
    "SCHEMES",
    "Advisory",
    "Affected",
    "EventKind",
    "MalformedRecord",
    "Parsed",
    "Problem",
    "Range",
    "RangeType",
    "parse_json",
    "parse_record",
    "read_zip",
    "scheme_for",
    "split_ecosystem",
]
