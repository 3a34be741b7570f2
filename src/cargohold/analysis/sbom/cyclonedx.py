"""CycloneDX 1.6 JSON, made with cyclonedx-python-lib."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

import cargohold
from cargohold.analysis.model import Component, Inventory
from cargohold.analysis.sbom.common import (
    CATALOGER,
    EVIDENCE,
    IDENTITY,
    INCOMPLETE_REASON,
    SCAN_STATUS,
    TOOL_NAME,
    component_key,
    document_uuid,
    ordered_components,
)

if TYPE_CHECKING:
    from cargohold.analysis.sbom.common import SbomSubject

_HASHES = {
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
}
_ARTIFACT_REF = "artifact"


def cyclonedx_json(subject: SbomSubject, inventory: Inventory) -> str:
    """The inventory of ``subject`` as a CycloneDX 1.6 JSON document."""
    artifact = _artifact(subject)
    components = [_component(c) for c in ordered_components(inventory)]
    status = "complete" if inventory.complete else "incomplete"
    properties = [Property(name=SCAN_STATUS, value=status)]
    properties += [Property(name=INCOMPLETE_REASON, value=r) for r in inventory.incomplete]
    metadata = BomMetaData(
        component=artifact,
        timestamp=subject.created,
        properties=properties,
    )
    metadata.tools.components.add(
        CdxComponent(
            type=ComponentType.APPLICATION,
            name=TOOL_NAME,
            version=cargohold.__version__,
            bom_ref=f"tool:{TOOL_NAME}",
        )
    )
    bom = Bom(
        serial_number=document_uuid(subject, inventory),
        metadata=metadata,
        components=components,
        dependencies=[
            Dependency(
                ref=artifact.bom_ref,
                dependencies=[Dependency(ref=c.bom_ref) for c in components],
            ),
            *(Dependency(ref=c.bom_ref) for c in components),
        ],
    )
    return JsonV1Dot6(bom).output_as_string(indent=2)


def _artifact(subject: SbomSubject) -> CdxComponent:
    hashes = []
    if subject.algorithm in _HASHES:
        hashes.append(HashType(alg=_HASHES[subject.algorithm], content=subject.hexdigest))
    return CdxComponent(
        type=ComponentType.CONTAINER if subject.kind == "image" else ComponentType.FILE,
        name=subject.name,
        version=subject.version,
        hashes=hashes,
        bom_ref=BomRef(_ARTIFACT_REF),
        properties=[Property(name="cargohold:digest", value=subject.digest)],
    )


def _component(component: Component) -> CdxComponent:
    properties = [
        Property(name=CATALOGER, value=component.cataloger),
        Property(name=EVIDENCE, value=component.evidence),
        Property(name="cargohold:ecosystem", value=component.ecosystem),
    ]
    if component.identity:
        properties.append(Property(name=IDENTITY, value=component.identity))
    if component.source_name:
        properties.append(Property(name="cargohold:source-name", value=component.source_name))
    if component.source_version:
        properties.append(Property(name="cargohold:source-version", value=component.source_version))
    return CdxComponent(
        type=ComponentType.LIBRARY,
        name=component.name,
        version=component.version,
        purl=PackageURL.from_string(component.purl),
        licenses=_licenses(component.licenses),
        properties=properties,
        bom_ref=BomRef(f"{component.purl}#{component_key(component)}"),
    )


def _licenses(declared: tuple[str, ...]) -> list[LicenseExpression | DisjunctiveLicense]:
    """CycloneDX allows either a list of licenses (SPDX ids or free names) or exactly one
    expression. Several declared licenses that are all valid SPDX become one ``AND``
    expression; otherwise an expression is kept, as written, as a license name."""
    factory = LicenseFactory()
    made = [factory.make_from_string(text) for text in dict.fromkeys(declared)]
    expressions = [m for m in made if isinstance(m, LicenseExpression)]
    if not expressions:
        return made
    if len(made) == 1:
        return made
    if all(isinstance(m, LicenseExpression) or m.id is not None for m in made):
        parts = [f"({m.value})" if isinstance(m, LicenseExpression) else str(m.id) for m in made]
        return [LicenseExpression(" AND ".join(parts))]
    return [
        DisjunctiveLicense(name=m.value) if isinstance(m, LicenseExpression) else m for m in made
    ]
