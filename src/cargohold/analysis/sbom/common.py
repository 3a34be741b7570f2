"""What both SBOM formats share: the subject, the property names, component order and keys."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cargohold.analysis.model import Component, Inventory

TOOL_NAME = "cargohold"

# Property names used in both formats.
SCAN_STATUS = "cargohold:scan-status"
INCOMPLETE_REASON = "cargohold:incomplete-reason"
EVIDENCE = "cargohold:evidence"
CATALOGER = "cargohold:cataloger"
IDENTITY = "cargohold:identity"  # which rule of the cataloger named the component


@dataclass(frozen=True, slots=True)
class SbomSubject:
    """The artifact an SBOM describes."""

    name: str  # repository path: "dev/team/app", or a file name
    digest: str  # "sha256:…"
    created: datetime  # when the inventory was made; must carry a timezone
    kind: Literal["image", "file"] = "image"
    version: str | None = None  # a tag or a file's version, when there is one

    def __post_init__(self) -> None:
        algorithm, sep, hexdigest = self.digest.partition(":")
        if not sep or not algorithm or not hexdigest:
            raise ValueError(f"not a digest: {self.digest!r}")
        if self.created.tzinfo is None:
            raise ValueError("created must carry a timezone")

    @property
    def algorithm(self) -> str:
        return self.digest.partition(":")[0]

    @property
    def hexdigest(self) -> str:
        return self.digest.partition(":")[2]


def component_key(component: Component) -> str:
    """A stable identifier for a component within one SBOM: the same package found at the same
    place always gets the same key, whatever else the inventory holds."""
    raw = f"{component.purl}\0{component.evidence}\0{component.cataloger}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def ordered_components(inventory: Inventory) -> list[Component]:
    """The inventory's components without duplicates, in a fixed order."""
    return sorted(set(inventory.components), key=lambda c: (c.purl, c.evidence, c.cataloger))


def document_uuid(subject: SbomSubject, inventory: Inventory) -> uuid.UUID:
    """A UUID that names one SBOM document: it changes with the artifact, its creation time or
    what was found, and stays the same when they do not."""
    parts = [subject.digest, subject.created.isoformat(), *inventory.incomplete]
    parts += [component_key(c) for c in ordered_components(inventory)]
    return uuid.uuid5(uuid.NAMESPACE_URL, "cargohold:sbom:" + "\n".join(parts))


__all__ = [
    "CATALOGER",
    "EVIDENCE",
    "IDENTITY",
    "INCOMPLETE_REASON",
    "SCAN_STATUS",
    "TOOL_NAME",
    "SbomSubject",
    "component_key",
    "document_uuid",
    "ordered_components",
]
