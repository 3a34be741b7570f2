"""Alpine packages installed in a root file system: ``lib/apk/db/installed``."""

from __future__ import annotations

from collections.abc import Iterator

from packageurl import PackageURL

from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "apk"

_INSTALLED = "lib/apk/db/installed"


def records(text: str) -> Iterator[dict[str, str]]:
    """The installed database's records: one ``X:value`` line per field, blank-line separated
    (repeated per-file fields such as F: and R: keep their first value, unused here)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif len(line) > 1 and line[1] == ":":
            fields.setdefault(line[0], line[2:])
    if fields:
        yield fields


def parse(entry: FileEntry) -> Iterator[Component]:
    for fields in records(entry.read().decode("utf-8", errors="replace")):
        name, version = fields.get("P"), fields.get("V")
        if not name or not version:
            continue
        qualifiers = {}
        if arch := fields.get("A"):
            qualifiers["arch"] = arch
        origin = fields.get("o") or name
        if origin != name:
            qualifiers["upstream"] = origin
        purl = PackageURL(
            type="apk", namespace="alpine", name=name, version=version, qualifiers=qualifiers
        )
        license_ = fields.get("L", "").strip()
        yield Component(
            name=name,
            version=version,
            ecosystem="Alpine",
            purl=purl.to_string(),
            cataloger=NAME,
            evidence=entry.evidence,
            licenses=(license_,) if license_ else (),
            source_name=origin,
            source_version=version,
        )


CATALOGER = Cataloger(name=NAME, version="1", patterns=(_INSTALLED, f"*/{_INSTALLED}"), parse=parse)
