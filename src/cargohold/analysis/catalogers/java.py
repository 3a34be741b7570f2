"""Java archives (jar, war, ear): the coordinates in ``META-INF/maven/**/pom.properties``
first (one component each: a fat or shaded jar names its own and its bundled ones), then
``META-INF/MANIFEST.MF``, then a small table of well-known coordinates keyed by manifest
names; the file name only when nothing inside the archive names a version. Jars nested in
this one (``BOOT-INF/lib``, ``WEB-INF/lib``) are shown to us by the walker separately."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from packageurl import PackageURL

from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "java"

# Manifest names (Bundle-SymbolicName, Implementation-Title, Automatic-Module-Name) of jars
# that ship without pom.properties, mapped to their Maven coordinates.
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


def properties(text: str) -> dict[str, str]:
    """A Java .properties file's simple ``key=value`` lines."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def manifest(text: str) -> dict[str, str]:
    """The main section of a MANIFEST.MF (72-byte lines continued by a leading space)."""
    found: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line:
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last is not None:
            found[last] += line[1:]
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip()
            found[last] = value.strip()
    return found


def _component(group: str, artifact: str, version: str, evidence: str) -> Component:
    purl = PackageURL(type="maven", namespace=group or None, name=artifact, version=version)
    return Component(
        name=f"{group}:{artifact}" if group else artifact,
        version=version,
        ecosystem="Maven",
        purl=purl.to_string(),
        cataloger=NAME,
        evidence=evidence,
    )


def _from_manifest(fields: dict[str, str], file_name: str) -> tuple[str, str, str] | None:
    symbolic = fields.get("Bundle-SymbolicName", "").split(";", 1)[0].strip()
    title = fields.get("Implementation-Title", "").strip()
    version = (fields.get("Implementation-Version") or fields.get("Bundle-Version") or "").strip()
    if not version:
        return None
    for key in (symbolic, fields.get("Automatic-Module-Name", "").strip(), title):
        if key in WELL_KNOWN:
            group, artifact = WELL_KNOWN[key]
            return group, artifact, version
    group = fields.get("Implementation-Vendor-Id", "").strip()
    named = _FILE_NAME.match(file_name)
    artifact = named["artifact"] if named else file_name.rsplit(".", 1)[0]
    if not group and "." in symbolic:
        group = symbolic
    return group, artifact, version


def parse(entry: FileEntry) -> Iterator[Component]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(entry.read()))
    except (zipfile.BadZipFile, ValueError):
        return
    file_name = entry.path.rsplit("/", 1)[-1]
    with archive:
        names = archive.namelist()
        found = False
        for name in sorted(names):
            if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
                props = properties(archive.read(name).decode("utf-8", errors="replace"))
                group, artifact = props.get("groupId", ""), props.get("artifactId", "")
                version = props.get("version", "")
                if artifact and version:
                    found = True
                    yield _component(group, artifact, version, entry.evidence)
        if found:
            return
        if "META-INF/MANIFEST.MF" in names:
            text = archive.read("META-INF/MANIFEST.MF").decode("utf-8", errors="replace")
            if coordinates := _from_manifest(manifest(text), file_name):
                yield _component(*coordinates, evidence=entry.evidence)
                return
    # Last resort: nothing inside names a version, the file name might.
    if named := _FILE_NAME.match(file_name):
        yield _component("", named["artifact"], named["version"], entry.evidence)


CATALOGER = Cataloger(
    name=NAME,
    version="1",
    patterns=("*.jar", "*.war", "*.ear"),
    parse=parse,
)
