"""``maven-metadata.xml`` as the server keeps it: made from its own rows whenever it is
asked for, so it is always current (after every deploy, deletion or promotion, on every
process) and two CI jobs deploying the same artifact never overwrite each other's versions.

- The artifact's (``…/hello/maven-metadata.xml``): every version in Maven's ordering,
  ``latest`` the highest, ``release`` the highest that is not a snapshot, ``lastUpdated`` the
  newest file's time.
- A snapshot version's (``…/hello/1.1-SNAPSHOT/maven-metadata.xml``): the newest build
  (``snapshot/timestamp``, ``buildNumber``: Maven numbers its next deploy from it) and the
  newest build of each classifier and extension (``snapshotVersions``).

The same rows give the same bytes, so the checksum files agree with the document served.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from cargohold.analysis.vulndb.versions import VersionError, parse
from cargohold.core.errors import BadRequest
from cargohold.records.packages import PackageFile, PackageVersion
from cargohold.registry.maven.layout import FileName, is_snapshot, parse_filename


def ordered(versions: Sequence[str]) -> list[str]:
    """``versions`` in Maven's ordering; any Maven cannot compare comes last, by name."""
    known: list[tuple[Any, str]] = []
    unknown: list[str] = []
    for version in versions:
        try:
            known.append((parse("maven", version), version))
        except VersionError:
            unknown.append(version)
    known.sort(key=lambda pair: pair[0])
    return [v for _, v in known] + sorted(unknown)


def stamp(moment: float) -> str:
    """``lastUpdated``: yyyyMMddHHmmss, UTC."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(moment))


def artifact_metadata(
    group: str, artifact: str, versions: Sequence[PackageVersion], files: Sequence[PackageFile]
) -> bytes:
    listed = ordered([v.version for v in versions])
    releases = [v for v in listed if not is_snapshot(v)]
    updated = max((f.file.updated_at for f in files), default=max(v.created_at for v in versions))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<metadata>",
        f"  <groupId>{escape(group)}</groupId>",
        f"  <artifactId>{escape(artifact)}</artifactId>",
        "  <versioning>",
        f"    <latest>{escape(listed[-1])}</latest>",
    ]
    if releases:
        lines.append(f"    <release>{escape(releases[-1])}</release>")
    lines.append("    <versions>")
    lines += [f"      <version>{escape(v)}</version>" for v in listed]
    lines += [
        "    </versions>",
        f"    <lastUpdated>{stamp(updated)}</lastUpdated>",
        "  </versioning>",
        "</metadata>",
        "",
    ]
    return "\n".join(lines).encode()


def builds(artifact: str, version: str, files: Sequence[PackageFile]) -> list[FileName]:
    """The snapshot builds among ``files`` of ``version``, oldest first."""
    found: list[FileName] = []
    for one in files:
        try:
            named = parse_filename(artifact, version, one.filename)
        except BadRequest:
            continue
        if named.timestamp is not None:
            found.append(named)
    return sorted(found, key=lambda n: (n.build or 0, n.timestamp or ""))


def newest_builds(artifact: str, version: str, files: Sequence[PackageFile]) -> list[FileName]:
    """The newest build of each classifier and extension, by classifier and extension."""
    newest: dict[tuple[str, str], FileName] = {}
    for named in builds(artifact, version, files):
        newest[(named.classifier, named.extension)] = named
    return [newest[k] for k in sorted(newest)]


def version_metadata(
    group: str, artifact: str, version: str, files: Sequence[PackageFile]
) -> bytes | None:
    """A snapshot version's metadata; None when it has no timestamped build."""
    found = builds(artifact, version, files)
    if not found:
        return None
    last = found[-1]
    base = version.removesuffix("-SNAPSHOT")
    updated = max(f.file.updated_at for f in files)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<metadata modelVersion="1.1.0">',
        f"  <groupId>{escape(group)}</groupId>",
        f"  <artifactId>{escape(artifact)}</artifactId>",
        f"  <version>{escape(version)}</version>",
        "  <versioning>",
        "    <snapshot>",
        f"      <timestamp>{last.timestamp}</timestamp>",
        f"      <buildNumber>{last.build}</buildNumber>",
        "    </snapshot>",
        f"    <lastUpdated>{stamp(updated)}</lastUpdated>",
        "    <snapshotVersions>",
    ]
    for named in newest_builds(artifact, version, files):
        lines.append("      <snapshotVersion>")
        if named.classifier:
            lines.append(f"        <classifier>{escape(named.classifier)}</classifier>")
        lines += [
            f"        <extension>{escape(named.extension)}</extension>",
            f"        <value>{escape(base)}-{named.unique}</value>",
            f"        <updated>{(named.timestamp or '').replace('.', '')}</updated>",
            "      </snapshotVersion>",
        ]
    lines += ["    </snapshotVersions>", "  </versioning>", "</metadata>", ""]
    return "\n".join(lines).encode()


__all__ = [
    "artifact_metadata",
    "builds",
    "newest_builds",
    "ordered",
    "stamp",
    "version_metadata",
]
