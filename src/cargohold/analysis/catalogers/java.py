"""Java archives (jar, war, ear) named by their Maven coordinates, which is how OSV files Java
advisories (ecosystem "Maven", name ``groupId:artifactId``). Jars nested in this one
(``BOOT-INF/lib``, ``WEB-INF/lib``) are shown to us by the walker separately.

Each component says in ``identity`` which rule named it, most trustworthy first:

1. ``pom.properties``: every ``META-INF/maven/**/pom.properties`` (one component each: a fat
   or shaded jar names its own and its bundled ones).
2. ``sha1-table``: the jar's SHA-1 is in the table of well-known artifacts
   (:mod:`maven_table`), which gives groupId, artifactId and version.
3. ``manifest:<field>``: a ``META-INF/MANIFEST.MF`` field names a known artifact, in this
   order: ``Bundle-SymbolicName`` (without ``;singleton:=true`` and other directives) found in
   the table or in :data:`WELL_KNOWN`; ``Implementation-Vendor-Id`` (the groupId Maven's jar
   plugin writes) with ``Implementation-Title``, the file name's artifact or what the OSGi
   symbolic name adds to the vendor id (``org.apache.commons.lang3`` under
   ``org.apache.commons`` → ``commons-lang3`` or ``lang3``), when that makes a coordinate
   the table knows; ``Automatic-Module-Name``, a weaker hint, found in the table or
   :data:`WELL_KNOWN`; ``Implementation-Title`` found in :data:`WELL_KNOWN`. The version is
   ``Implementation-Version``, else ``Bundle-Version``.
4. ``guess:manifest``: a manifest version but no known name: the group is the vendor id, else
   the symbolic name (a Java package, not a groupId), the artifact is the file name's.
5. ``guess:file-name``: nothing inside names a version; ``name-1.2.jar`` does.

Advisories are matched by the component's name whatever its identity: a guessed name finds
an advisory only when it happens to be the advisory's real coordinates, so a guess can miss
advisories but not invent them; its ``identity`` says it is one, and SBOMs carry it."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from packageurl import PackageURL

from cargohold.analysis.catalogers.jar_manifest import manifest, properties, symbolic_name
from cargohold.analysis.catalogers.maven_table import BUNDLE, MODULE, MavenTable, table
from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "java"

# The rules, as ``identity`` names them.
POM_PROPERTIES = "pom.properties"
SHA1_TABLE = "sha1-table"
BY_SYMBOLIC_NAME = "manifest:Bundle-SymbolicName"
BY_VENDOR_ID = "manifest:Implementation-Vendor-Id"
BY_MODULE_NAME = "manifest:Automatic-Module-Name"
BY_TITLE = "manifest:Implementation-Title"
GUESS_MANIFEST = "guess:manifest"
GUESS_FILE_NAME = "guess:file-name"

# Manifest names (Bundle-SymbolicName, Implementation-Title, Automatic-Module-Name) of jars
# that ship without pom.properties and that the shipped table may not hold, mapped to their
# Maven coordinates.
WELL_KNOWN: dict[str, tuple[str, str]] = {
    "org.hamcrest": ("org.hamcrest", "hamcrest"),
    "org.hamcrest.core": ("org.hamcrest", "hamcrest-core"),
    "junit": ("junit", "junit"),
    "org.junit": ("junit", "junit"),
    "com.google.guava": ("com.google.guava", "guava"),
    "com.google.gson": ("com.google.code.gson", "gson"),
    "org.apache.commons.lang3": ("org.apache.commons", "commons-lang3"),
    "org.apache.commons.io": ("commons-io", "commons-io"),
    "org.apache.commons.codec": ("commons-codec", "commons-codec"),
    "org.apache.commons.collections": ("commons-collections", "commons-collections"),
    "org.apache.commons.text": ("org.apache.commons", "commons-text"),
    "org.apache.logging.log4j.api": ("org.apache.logging.log4j", "log4j-api"),
    "org.apache.logging.log4j.core": ("org.apache.logging.log4j", "log4j-core"),
    "log4j": ("log4j", "log4j"),
    "com.fasterxml.jackson.core.jackson-databind": (
        "com.fasterxml.jackson.core",
        "jackson-databind",
    ),
    "com.fasterxml.jackson.core.jackson-core": ("com.fasterxml.jackson.core", "jackson-core"),
    "org.yaml.snakeyaml": ("org.yaml", "snakeyaml"),
    "slf4j.api": ("org.slf4j", "slf4j-api"),
}

_FILE_NAME = re.compile(r"^(?P<artifact>.+?)-(?P<version>\d[^/]*)\.[jwe]ar$")


@dataclass(frozen=True, slots=True)
class Identity:
    group: str
    artifact: str
    version: str
    rule: str  # one of the rules above


def _component(identity: Identity, evidence: str) -> Component:
    group, artifact, version = identity.group, identity.artifact, identity.version
    purl = PackageURL(type="maven", namespace=group or None, name=artifact, version=version)
    return Component(
        name=f"{group}:{artifact}" if group else artifact,
        version=version,
        ecosystem="Maven",
        purl=purl.to_string(),
        cataloger=NAME,
        evidence=evidence,
        identity=identity.rule,
    )


def _file_artifact(file_name: str) -> str:
    named = _FILE_NAME.match(file_name)
    return named["artifact"] if named else file_name.rsplit(".", 1)[0]


def _vendor_artifacts(vendor: str, symbolic: str, title: str, file_name: str) -> list[str]:
    """The artifactIds a jar whose groupId is ``vendor`` may have, most likely first."""
    found = [title, _file_artifact(file_name)]
    # Felix's bundle plugin names a bundle groupId + "." + artifactId, less the groupId's
    # last part when the artifactId starts with it, or groupId alone when the artifactId is
    # that last part: undo each.
    last = vendor.rsplit(".", 1)[-1]
    if symbolic == vendor:
        found.append(last)
    elif symbolic.startswith(vendor + "."):
        rest = symbolic.removeprefix(vendor + ".")
        found += [f"{last}-{rest}", rest]
    return [a for a in found if a and " " not in a]


def from_manifest(fields: dict[str, str], file_name: str, known: MavenTable) -> Identity | None:
    """The jar's identity by its manifest (rules 3 and 4), or None without a version."""
    symbolic = symbolic_name(fields)
    module = fields.get("Automatic-Module-Name", "").strip()
    title = fields.get("Implementation-Title", "").strip()
    vendor = fields.get("Implementation-Vendor-Id", "").strip()
    version = (fields.get("Implementation-Version") or fields.get("Bundle-Version") or "").strip()
    if not version:
        return None
    if symbolic:
        if hit := known.name(BUNDLE, symbolic):
            return Identity(hit.group, hit.artifact, version, BY_SYMBOLIC_NAME)
        if symbolic in WELL_KNOWN:
            return Identity(*WELL_KNOWN[symbolic], version, BY_SYMBOLIC_NAME)
    if vendor:
        for artifact in _vendor_artifacts(vendor, symbolic, title, file_name):
            if f"{vendor}:{artifact}" in known.known:
                return Identity(vendor, artifact, version, BY_VENDOR_ID)
    if module:
        if hit := known.name(MODULE, module):
            return Identity(hit.group, hit.artifact, version, BY_MODULE_NAME)
        if module in WELL_KNOWN:
            return Identity(*WELL_KNOWN[module], version, BY_MODULE_NAME)
    if title in WELL_KNOWN:
        return Identity(*WELL_KNOWN[title], version, BY_TITLE)
    group = vendor or (symbolic if "." in symbolic else "")
    return Identity(group, _file_artifact(file_name), version, GUESS_MANIFEST)


def _pom_properties(archive: zipfile.ZipFile) -> list[Identity]:
    found = []
    for name in sorted(archive.namelist()):
        if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
            props = properties(archive.read(name).decode("utf-8", errors="replace"))
            group, artifact = props.get("groupId", ""), props.get("artifactId", "")
            version = props.get("version", "")
            if artifact and version:
                found.append(Identity(group, artifact, version, POM_PROPERTIES))
    return found


def identify(data: bytes, file_name: str, known: MavenTable) -> list[Identity]:
    """Who the jar ``data`` is, by the first rule that names it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return []
    with archive:
        if found := _pom_properties(archive):
            return found
        if hit := known.sha1(hashlib.sha1(data, usedforsecurity=False).hexdigest()):
            return [Identity(hit.group, hit.artifact, hit.version, SHA1_TABLE)]
        if "META-INF/MANIFEST.MF" in archive.namelist():
            text = archive.read("META-INF/MANIFEST.MF").decode("utf-8", errors="replace")
            if by_manifest := from_manifest(manifest(text), file_name, known):
                return [by_manifest]
    if named := _FILE_NAME.match(file_name):
        return [Identity("", named["artifact"], named["version"], GUESS_FILE_NAME)]
    return []


def components(entry: FileEntry, known: MavenTable) -> Iterator[Component]:
    """The components of the jar ``entry``, named with the help of the table ``known``."""
    file_name = entry.path.rsplit("/", 1)[-1]
    for identity in identify(entry.read(), file_name, known):
        yield _component(identity, entry.evidence)


def parse(entry: FileEntry) -> Iterator[Component]:
    return components(entry, table())


CATALOGER = Cataloger(
    name=NAME,
    version="2",
    patterns=("*.jar", "*.war", "*.ear"),
    parse=parse,
)

__all__ = [
    "CATALOGER",
    "WELL_KNOWN",
    "Identity",
    "components",
    "from_manifest",
    "identify",
    "parse",
]
