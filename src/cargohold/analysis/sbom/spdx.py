"""SPDX 2.3 JSON, made with spdx-tools."""

from __future__ import annotations

import hashlib
import io
import re
from typing import TYPE_CHECKING

from license_expression import LicenseExpression as Expression
from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Annotation,
    AnnotationType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    ExtractedLicensingInfo,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

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

DOCUMENT_ID = "SPDXRef-DOCUMENT"
ARTIFACT_ID = "SPDXRef-Artifact"
_CHECKSUMS = {
    "sha256": ChecksumAlgorithm.SHA256,
    "sha384": ChecksumAlgorithm.SHA384,
    "sha512": ChecksumAlgorithm.SHA512,
}


def spdx_json(subject: SbomSubject, inventory: Inventory) -> str:
    """The inventory of ``subject`` as an SPDX 2.3 JSON document."""
    tool = Actor(ActorType.TOOL, f"{TOOL_NAME}-{cargohold.__version__}")
    status = "complete" if inventory.complete else "incomplete"
    comment = "\n".join(
        [f"{SCAN_STATUS}={status}", *(f"{INCOMPLETE_REASON}={r}" for r in inventory.incomplete)]
    )
    creation = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id=DOCUMENT_ID,
        name=subject.name if subject.version is None else f"{subject.name}:{subject.version}",
        document_namespace=f"urn:uuid:{document_uuid(subject, inventory)}",
        creators=[tool],
        created=subject.created,
        document_comment=comment,
    )
    licenses = _Licenses()
    packages = [_artifact(subject, comment)]
    relationships = [Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, ARTIFACT_ID)]
    for component in ordered_components(inventory):
        package = _package(component, licenses)
        packages.append(package)
        relationships.append(Relationship(ARTIFACT_ID, RelationshipType.CONTAINS, package.spdx_id))
    # An incomplete scan is said where a reader of the artifact's package looks, too.
    annotations = []
    if not inventory.complete:
        annotations = [
            Annotation(ARTIFACT_ID, AnnotationType.OTHER, tool, subject.created, line)
            for line in comment.splitlines()
        ]
    document = Document(
        creation_info=creation,
        packages=packages,
        relationships=relationships,
        annotations=annotations,
        extracted_licensing_info=licenses.extracted(),
    )
    stream = io.StringIO()
    write_document_to_stream(document, stream, validate=False)
    return stream.getvalue()


def _artifact(subject: SbomSubject, comment: str) -> Package:
    checksums = []
    if subject.algorithm in _CHECKSUMS:
        checksums.append(Checksum(_CHECKSUMS[subject.algorithm], subject.hexdigest))
    return Package(
        spdx_id=ARTIFACT_ID,
        name=subject.name,
        version=subject.version,
        download_location=SpdxNoAssertion(),
        files_analyzed=False,
        checksums=checksums,
        primary_package_purpose=(
            PackagePurpose.CONTAINER if subject.kind == "image" else PackagePurpose.FILE
        ),
        comment=f"digest={subject.digest}\n{comment}",
    )


def _package(component: Component, licenses: _Licenses) -> Package:
    source = [f"{EVIDENCE}={component.evidence}", f"{CATALOGER}={component.cataloger}"]
    if component.identity:
        source.append(f"{IDENTITY}={component.identity}")
    if component.source_name:
        version = f" {component.source_version}" if component.source_version else ""
        source.append(f"source package: {component.source_name}{version}")
    return Package(
        spdx_id=f"SPDXRef-Package-{component_key(component)}",
        name=component.name,
        version=component.version,
        download_location=SpdxNoAssertion(),
        files_analyzed=False,
        license_declared=licenses.declared(component.licenses),
        source_info="\n".join(source),
        external_references=[
            ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", component.purl)
        ],
        primary_package_purpose=PackagePurpose.LIBRARY,
    )


class _Licenses:
    """Declared licenses as SPDX expressions: text that is not a valid SPDX expression becomes
    a ``LicenseRef-`` whose extracted text is the text as declared."""

    def __init__(self) -> None:
        self._refs: dict[str, str] = {}

    def declared(self, texts: tuple[str, ...]) -> Expression | SpdxNoAssertion:
        parts = [self._part(text) for text in dict.fromkeys(texts)]
        if not parts:
            return SpdxNoAssertion()
        joined = parts[0] if len(parts) == 1 else " AND ".join(f"({p})" for p in parts)
        return spdx_licensing.parse(joined)

    def extracted(self) -> list[ExtractedLicensingInfo]:
        return [
            ExtractedLicensingInfo(license_id=ref, extracted_text=text, license_name=text)
            for ref, text in sorted(self._refs.items())
        ]

    def _part(self, text: str) -> str:
        if not spdx_licensing.validate(text).errors:
            return text
        slug = re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:40]
        ref = f"LicenseRef-{slug}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        self._refs[ref] = text
        return ref
