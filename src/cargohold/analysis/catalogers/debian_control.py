"""Debian control paragraphs (dpkg status, status.d, a .deb's control file) and the
component one installed or packaged binary package makes."""

from __future__ import annotations

from collections.abc import Iterator

from packageurl import PackageURL

from cargohold.analysis.model import Component


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """The paragraphs of a control file: field names as written, continuation lines joined."""
    fields: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, None
        elif line[0] in " \t":
            if last is not None:
                fields[last] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip()
            fields[last] = value.strip()
    if fields:
        yield fields


def source_of(fields: dict[str, str]) -> tuple[str, str]:
    """The source package and its version: ``Source: fzf (0.38.0-1)`` names both (a binNMU's
    binary version differs); a bare ``Source: gcc-12`` shares the binary's version; no
    ``Source:`` means the binary is named after its source."""
    version = fields["Version"]
    source = fields.get("Source", "").strip()
    if not source:
        return fields["Package"], version
    name, _, rest = source.partition(" ")
    rest = rest.strip()
    if rest.startswith("(") and rest.endswith(")"):
        return name, rest[1:-1].strip()
    return name, version


def component(fields: dict[str, str], cataloger: str, evidence: str) -> Component | None:
    """The component of one binary package paragraph, or None when it names no package."""
    name, version = fields.get("Package"), fields.get("Version")
    if not name or not version:
        return None
    source_name, source_version = source_of(fields)
    qualifiers = {}
    if arch := fields.get("Architecture"):
        qualifiers["arch"] = arch
    if source_name != name or source_version != version:
        upstream = source_name if source_version == version else f"{source_name}@{source_version}"
        qualifiers["upstream"] = upstream
    purl = PackageURL(
        type="deb", namespace="debian", name=name, version=version, qualifiers=qualifiers
    )
    return Component(
        name=name,
        version=version,
        ecosystem="Debian",
        purl=purl.to_string(),
        cataloger=cataloger,
        evidence=evidence,
        source_name=source_name,
        source_version=source_version,
    )
