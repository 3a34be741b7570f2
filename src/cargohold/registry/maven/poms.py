"""What a deployed POM says of its coordinates, checked against its path.

Coordinates always come from the path: a POM whose own groupId, artifactId or version
contradict it (a jar's embedded POM uploaded by ``deploy:deploy-file`` under other
coordinates, a copy-paste) is refused rather than served under a name it denies. Values
inherited from ``<parent>`` and ``${…}`` expressions are not the POM's word and are skipped.

Plain synchronous code, run off the event loop on a local copy; a document type (and so any
entity) is refused before parsing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from cargohold.core.errors import BadRequest
from cargohold.registry.maven.layout import Target

MAX_POM = 4 * 1024 * 1024  # bytes of a POM


@dataclass(frozen=True, slots=True)
class Pom:
    group: str | None
    artifact: str | None
    version: str | None
    packaging: str | None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def read_pom(path: str) -> Pom:
    with open(path, "rb") as handle:
        data = handle.read(MAX_POM + 1)
    if len(data) > MAX_POM:
        raise BadRequest(f"a POM is limited to {MAX_POM} bytes")
    return parse_pom(data)


def parse_pom(data: bytes) -> Pom:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BadRequest("a POM may not have a document type declaration")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadRequest(f"the POM is not well-formed XML: {exc}") from None
    if _local(root.tag) != "project":
        raise BadRequest(f"a POM's root element is <project>, not <{_local(root.tag)[:50]}>")
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(_local(child.tag), (child.text or "").strip())
    return Pom(
        fields.get("groupId") or None,
        fields.get("artifactId") or None,
        fields.get("version") or None,
        fields.get("packaging") or None,
    )


def check_pom(pom: Pom, target: Target) -> None:
    """BadRequest when the POM's own coordinates contradict the path it is deployed at."""
    said = {"groupId": pom.group, "artifactId": pom.artifact, "version": pom.version}
    expected = {"groupId": target.group, "artifactId": target.artifact, "version": target.version}
    for field, value in said.items():
        if value is None or "${" in value:
            continue
        if value != expected[field]:
            raise BadRequest(
                f"the POM says {field} {value[:100]}, but it is deployed as "
                f"{target.coordinates}: POM and path must agree"
            )


__all__ = ["MAX_POM", "Pom", "check_pom", "parse_pom", "read_pom"]
