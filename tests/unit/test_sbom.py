"""SBOMs for an analysed artifact: CycloneDX 1.6 and SPDX 2.3 JSON that validate against their
schemas, carry every component's purl, licenses and evidence (with the rule that named it),
and say when a scan was incomplete."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from cargohold.analysis.model import Component, Inventory
from cargohold.analysis.sbom import SbomSubject, cyclonedx_json, spdx_json

DIGEST = "sha256:" + "ab" * 32
SUBJECT = SbomSubject(
    name="dev/team/app",
    version="1.4.2",
    digest=DIGEST,
    kind="image",
    created=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
)

LOG4J = Component(
    name="log4j-core",
    version="2.14.1",
    ecosystem="Maven",
    purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    cataloger="java-archive",
    evidence=f"{DIGEST}!/opt/app/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar",
    licenses=("Apache-2.0",),
    identity="sha1-table",
)
LIBC = Component(
    name="libc6",
    version="2.36-9+deb12u3",
    ecosystem="Debian",
    purl="pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64&distro=debian-12",
    cataloger="dpkg",
    evidence=f"{DIGEST}!/var/lib/dpkg/status",
    licenses=("GPL-2.0-or-later", "LGPL-2.1-or-later"),
    source_name="glibc",
    source_version="2.36-9+deb12u3",
)
LODASH = Component(
    name="lodash",
    version="4.17.15",
    ecosystem="npm",
    purl="pkg:npm/lodash@4.17.15",
    cataloger="npm",
    evidence=f"{DIGEST}!/app/node_modules/lodash/package.json",
    licenses=("MIT OR Apache-2.0",),
)
# A second version of the same package, nested: both must be listed.
LODASH_NESTED = Component(
    name="lodash",
    version="4.17.5",
    ecosystem="npm",
    purl="pkg:npm/lodash@4.17.5",
    cataloger="npm",
    evidence=f"{DIGEST}!/app/node_modules/x/node_modules/lodash/package.json",
    licenses=("Some Custom License v2",),
)
UNLICENSED = Component(
    name="left-pad",
    version="1.3.0",
    ecosystem="npm",
    purl="pkg:npm/left-pad@1.3.0",
    cataloger="npm",
    evidence=f"{DIGEST}!/app/node_modules/left-pad/package.json",
)
COMPONENTS = (LOG4J, LIBC, LODASH, LODASH_NESTED, UNLICENSED)
COMPLETE = Inventory(components=COMPONENTS)
REASONS = (
    "depth limit 3 reached at /opt/app/web.war!/WEB-INF/lib/a.jar!/b.zip",
    "size limit 512 MiB reached at /data/huge.tar",
)
INCOMPLETE = Inventory(components=COMPONENTS, incomplete=REASONS)


def _cdx(inventory: Inventory) -> dict[str, Any]:
    text = cyclonedx_json(SUBJECT, inventory)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert errors is None, str(errors)
    document: dict[str, Any] = json.loads(text)
    return document


def _spdx(inventory: Inventory) -> dict[str, Any]:
    text = spdx_json(SUBJECT, inventory)
    document: dict[str, Any] = json.loads(text)
    messages = validate_full_spdx_document(JsonLikeDictParser().parse(document))
    assert [m.validation_message for m in messages] == []
    return document


def _properties(element: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["value"]) for p in element.get("properties", [])]


def _cdx_licenses(component: dict[str, Any]) -> list[str]:
    found = []
    for choice in component.get("licenses", []):
        if "expression" in choice:
            found.append(choice["expression"])
        else:
            found.append(choice["license"].get("id") or choice["license"]["name"])
    return found


@pytest.mark.parametrize("inventory", [COMPLETE, INCOMPLETE], ids=["complete", "incomplete"])
def test_cyclonedx_is_valid_1_6(inventory: Inventory) -> None:
    document = _cdx(inventory)
    assert document["bomFormat"] == "CycloneDX"
    assert document["specVersion"] == "1.6"


def test_cyclonedx_describes_the_artifact() -> None:
    metadata = _cdx(COMPLETE)["metadata"]
    artifact = metadata["component"]
    assert artifact["type"] == "container"
    assert artifact["name"] == "dev/team/app"
    assert artifact["version"] == "1.4.2"
    assert artifact["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]
    assert metadata["timestamp"].startswith("2026-03-01T12:00:00")
    assert ("cargohold:scan-status", "complete") in _properties(metadata)


def test_cyclonedx_lists_every_component_with_purl_licenses_and_evidence() -> None:
    components = {c["purl"]: c for c in _cdx(COMPLETE)["components"]}
    assert sorted(components) == sorted(c.purl for c in COMPONENTS)
    assert _cdx_licenses(components[LOG4J.purl]) == ["Apache-2.0"]
    assert sorted(_cdx_licenses(components[LIBC.purl])) == [
        "GPL-2.0-or-later",
        "LGPL-2.1-or-later",
    ]
    assert _cdx_licenses(components[LODASH.purl]) == ["MIT OR Apache-2.0"]
    assert _cdx_licenses(components[LODASH_NESTED.purl]) == ["Some Custom License v2"]
    assert "licenses" not in components[UNLICENSED.purl]
    for component in COMPONENTS:
        listed = components[component.purl]
        assert listed["name"] == component.name
        assert listed["version"] == component.version
        properties = _properties(listed)
        assert ("cargohold:evidence", component.evidence) in properties
        assert ("cargohold:cataloger", component.cataloger) in properties
    assert ("cargohold:source-name", "glibc") in _properties(components[LIBC.purl])
    # Which of its cataloger's rules named a component, when the cataloger has several.
    assert ("cargohold:identity", "sha1-table") in _properties(components[LOG4J.purl])
    assert "cargohold:identity" not in dict(_properties(components[LIBC.purl]))


def test_cyclonedx_artifact_depends_on_every_component() -> None:
    document = _cdx(COMPLETE)
    refs = {c["bom-ref"] for c in document["components"]}
    root = next(d for d in document["dependencies"] if d["ref"] == "artifact")
    assert set(root["dependsOn"]) == refs
    assert len(refs) == len(COMPONENTS)


def test_cyclonedx_states_an_incomplete_scan_and_its_reasons() -> None:
    properties = _properties(_cdx(INCOMPLETE)["metadata"])
    assert ("cargohold:scan-status", "incomplete") in properties
    assert ("cargohold:scan-status", "complete") not in properties
    reasons = [value for name, value in properties if name == "cargohold:incomplete-reason"]
    assert sorted(reasons) == sorted(REASONS)


@pytest.mark.parametrize("inventory", [COMPLETE, INCOMPLETE], ids=["complete", "incomplete"])
def test_spdx_is_valid_2_3(inventory: Inventory) -> None:
    document = _spdx(inventory)
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["SPDXID"] == "SPDXRef-DOCUMENT"


def test_spdx_describes_the_artifact_which_contains_every_component() -> None:
    document = _spdx(COMPLETE)
    packages = {p["SPDXID"]: p for p in document["packages"]}
    artifact = packages["SPDXRef-Artifact"]
    assert artifact["name"] == "dev/team/app"
    assert artifact["versionInfo"] == "1.4.2"
    assert artifact["checksums"] == [{"algorithm": "SHA256", "checksumValue": "ab" * 32}]
    relationships = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in document["relationships"]
    }
    contained = {b for a, kind, b in relationships if kind == "CONTAINS"}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Artifact") in relationships
    assert contained == set(packages) - {"SPDXRef-Artifact"}
    assert len(contained) == len(COMPONENTS)


def test_spdx_lists_every_component_with_purl_licenses_and_evidence() -> None:
    document = _spdx(COMPLETE)
    by_purl = {}
    for package in document["packages"]:
        purls = [
            ref["referenceLocator"]
            for ref in package.get("externalRefs", [])
            if ref["referenceCategory"] == "PACKAGE_MANAGER" and ref["referenceType"] == "purl"
        ]
        if purls:
            (purl,) = purls
            by_purl[purl] = package
    assert sorted(by_purl) == sorted(c.purl for c in COMPONENTS)
    assert by_purl[LOG4J.purl]["licenseDeclared"] == "Apache-2.0"
    assert by_purl[LIBC.purl]["licenseDeclared"] == "GPL-2.0-or-later AND LGPL-2.1-or-later"
    assert by_purl[LODASH.purl]["licenseDeclared"] == "MIT OR Apache-2.0"
    assert by_purl[UNLICENSED.purl]["licenseDeclared"] == "NOASSERTION"
    # Text that is no SPDX expression is kept, word for word, as an extracted license.
    custom = by_purl[LODASH_NESTED.purl]["licenseDeclared"]
    assert custom.startswith("LicenseRef-")
    extracted = {e["licenseId"]: e["extractedText"] for e in document["hasExtractedLicensingInfos"]}
    assert extracted == {custom: "Some Custom License v2"}
    for component in COMPONENTS:
        package = by_purl[component.purl]
        assert package["name"] == component.name
        assert package["versionInfo"] == component.version
        assert f"cargohold:evidence={component.evidence}" in package["sourceInfo"].splitlines()
    assert "source package: glibc 2.36-9+deb12u3" in by_purl[LIBC.purl]["sourceInfo"]
    assert "cargohold:identity=sha1-table" in by_purl[LOG4J.purl]["sourceInfo"].splitlines()
    assert "cargohold:identity" not in by_purl[LIBC.purl]["sourceInfo"]


def test_spdx_states_an_incomplete_scan_and_its_reasons() -> None:
    document = _spdx(INCOMPLETE)
    lines = document["comment"].splitlines()
    assert "cargohold:scan-status=incomplete" in lines
    for reason in REASONS:
        assert f"cargohold:incomplete-reason={reason}" in lines
    artifact = next(p for p in document["packages"] if p["SPDXID"] == "SPDXRef-Artifact")
    notes = [a["comment"] for a in artifact["annotations"]]
    assert "cargohold:scan-status=incomplete" in notes
    assert _spdx(COMPLETE)["comment"].splitlines() == ["cargohold:scan-status=complete"]


def test_the_same_inventory_in_any_order_gives_the_same_documents() -> None:
    shuffled = Inventory(components=(*reversed(COMPONENTS), LOG4J), incomplete=REASONS)
    assert cyclonedx_json(SUBJECT, INCOMPLETE) == cyclonedx_json(SUBJECT, shuffled)
    assert spdx_json(SUBJECT, INCOMPLETE) == spdx_json(SUBJECT, shuffled)


def test_another_inventory_gets_another_serial_number_and_namespace() -> None:
    fewer = Inventory(components=(LOG4J,))
    assert _cdx(COMPLETE)["serialNumber"] != _cdx(fewer)["serialNumber"]
    assert _spdx(COMPLETE)["documentNamespace"] != _spdx(fewer)["documentNamespace"]


def test_a_generic_file_is_described_as_a_file() -> None:
    subject = SbomSubject(
        name="tools/cli.tar.gz", digest=DIGEST, kind="file", created=SUBJECT.created
    )
    cdx = json.loads(cyclonedx_json(subject, COMPLETE))
    assert cdx["metadata"]["component"]["type"] == "file"
    assert "version" not in cdx["metadata"]["component"]
    spdx = json.loads(spdx_json(subject, COMPLETE))
    artifact = next(p for p in spdx["packages"] if p["SPDXID"] == "SPDXRef-Artifact")
    assert artifact["primaryPackagePurpose"] == "FILE"


def test_a_subject_needs_a_digest_and_an_aware_time() -> None:
    with pytest.raises(ValueError, match="digest"):
        SbomSubject(name="x", digest="abc", created=SUBJECT.created)
    with pytest.raises(ValueError, match="timezone"):
        SbomSubject(name="x", digest=DIGEST, created=datetime(2026, 3, 1))
