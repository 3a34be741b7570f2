"""Jars without pom.properties named by their Maven coordinates — by their SHA-1 in the shipped
table of Debian's jars, by their manifest, and only as a last resort by a guess that says it
is one — so that an OSV advisory filed under the real ``groupId:artifactId`` finds them.

The manifests below are the main sections of real jars of Debian 12, less some headers no
rule reads (Export-Package, Import-Package and others): the jars are too large to keep as
fixtures, so each test builds a jar around the manifest, which is all the rules read."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from cargohold.analysis.catalogers import CATALOGERS, java, maven_table
from cargohold.analysis.catalogers.maven_table import Coordinates, MavenTable, build, table
from cargohold.analysis.model import Component
from cargohold.analysis.unpack import Limits, walk
from cargohold.analysis.vulndb.match import match
from tests.unit import cataloger_fixtures as fx
from tests.unit.test_catalogers import LAYER, Entry
from tests.unit.test_vulndb import advisories

# usr/share/java/log4j-1.2-1.2.17.jar of liblog4j1.2-java 1.2.17-11
LOG4J_1_2 = """Manifest-Version: 1.0
Ant-Version: Apache Ant 1.10.12
Bundle-Description: Apache Log4j 1.2
Bundle-DocURL: http://logging.apache.org/log4j/1.2
Bundle-License: http://www.apache.org/licenses/LICENSE-2.0.txt
Bundle-ManifestVersion: 2
Bundle-Name: Apache Log4j
Bundle-SymbolicName: org.apache.log4j
Bundle-Version: 1.2.17
Created-By: 11.0.14 (Debian)
Require-Capability: osgi.ee;filter:="(&(osgi.ee=JavaSE)(version=1.6))"
Tool: Bnd-5.0.1.202101211358

"""

# usr/share/java/commons-lang-2.6.jar of libcommons-lang-java 2.6-10+deb12u1
COMMONS_LANG = """Manifest-Version: 1.0
Bundle-Description: Commons Lang, a package of Java utility classes fo
 r the classes that are in java.lang's hierarchy, or are considered to
  be so standard as to justify existence in java.lang.
Bundle-Name: Commons Lang
Bundle-SymbolicName: org.apache.commons.lang
Bundle-Vendor: The Apache Software Foundation
Bundle-Version: 2.6
Extension-Name: commons-lang
Implementation-Title: Commons Lang
Implementation-Vendor: The Apache Software Foundation
Implementation-Vendor-Id: org.apache
Implementation-Version: 2.6

"""

# usr/share/java/postgresql.jar of libpostgresql-jdbc-java 42.5.5-0+deb12u1
POSTGRESQL = """Manifest-Version: 1.0
Created-By: Maven JAR Plugin 3.3.0
Build-Jdk-Spec: 17
Bundle-License: BSD-2-Clause
Implementation-Title: PostgreSQL JDBC Driver
Implementation-Version: 42.5.5
Specification-Vendor: Oracle Corporation
Specification-Version: 4.2
Specification-Title: JDBC
Implementation-Vendor: PostgreSQL Global Development Group
Implementation-Vendor-Id: org.postgresql
Main-Class: org.postgresql.util.PGJDBCMain
Automatic-Module-Name: org.postgresql.jdbc

"""

# Shaped like OSV's record of the Log4j 1.x SocketServer deserialization (CVE-2019-17571):
# filed under the coordinates Maven Central publishes log4j 1.2 as.
LOG4J_1_SOCKET_SERVER: dict[str, Any] = {
    "schema_version": "1.4.0",
    "id": "GHSA-2qrg-x229-3v8q",
    "modified": "2024-02-16T08:14:47Z",
    "published": "2020-01-06T18:44:30Z",
    "aliases": ["CVE-2019-17571"],
    "summary": "Deserialization of Untrusted Data in Log4j",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {
                "ecosystem": "Maven",
                "name": "log4j:log4j",
                "purl": "pkg:maven/log4j/log4j",
            },
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "1.2"}, {"last_affected": "1.2.17"}],
                }
            ],
        }
    ],
    "database_specific": {"cwe_ids": ["CWE-502"], "severity": "CRITICAL"},
}

EMPTY = maven_table.parse([])


def jar(manifest: str | None) -> bytes:
    """A jar of one class around ``manifest``, written with CRLF as jar tools write it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if manifest is not None:
            archive.writestr("META-INF/MANIFEST.MF", manifest.replace("\n", "\r\n"))
        archive.writestr("org/example/A.class", b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


def named(data: bytes, file_name: str, known: MavenTable) -> list[tuple[str, str, str]]:
    return [
        (c.name, c.version, c.identity)
        for c in java.components(Entry(f"opt/app/lib/{file_name}", data), known)
    ]


# --- the table ----------------------------------------------------------------------------


def test_the_shipped_table_is_small_sorted_and_read_once() -> None:
    data = resources.files("cargohold.analysis.catalogers").joinpath(maven_table.DATA)
    packed = data.read_bytes()
    lines = gzip.decompress(packed).decode().splitlines()
    assert len(packed) < 32 * 1024
    assert lines == sorted(lines)
    assert table() is table()
    assert len(table().by_sha1) > 300
    logging = hashlib.sha1(fx.fixture(fx.COMMONS_LOGGING).read_bytes()).hexdigest()
    assert table().sha1(logging) == Coordinates("commons-logging", "commons-logging", "1.2")
    assert table().name("bundle", "org.apache.log4j") == Coordinates("log4j", "log4j")


def _deploy(repo: Path, group: str, artifact: str, version: str, pom: str, jar: bytes) -> None:
    folder = repo.joinpath(*group.split("."), artifact, version)
    folder.mkdir(parents=True)
    (folder / f"{artifact}-{version}.pom").write_text(pom)
    (folder / f"{artifact}-{version}.jar").write_bytes(jar)


def _pom(group: str | None, artifact: str, version: str | None) -> str:
    own = (f"<groupId>{group}</groupId>" if group else "") + (
        f"<version>{version}</version>" if version else ""
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<parent><groupId>org.example</groupId><artifactId>parent</artifactId>"
        f"<version>7</version></parent>{own}<artifactId>{artifact}</artifactId></project>"
    )


def test_the_table_is_built_from_a_maven_repository_and_keeps_only_what_is_certain(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "maven-repo"
    lib = jar(
        "Manifest-Version: 1.0\nBundle-SymbolicName: org.example.lib;singleton:=true\n"
        "Automatic-Module-Name: org.example.lib\n\n"
    )
    # groupId and version from the parent, the SHA-1 and the names from the jar
    _deploy(repo, "org.example", "lib", "7", _pom(None, "lib", None), lib)
    # Debian's placeholder versions name the same jar again: skipped
    _deploy(repo, "org.example", "lib", "debian", _pom(None, "lib", "debian"), lib)
    _deploy(repo, "org.example", "lib", "7.x", _pom(None, "lib", "7.x"), lib)
    # one jar under two coordinates (a relocation): neither is certain
    twice = jar("Manifest-Version: 1.0\nBundle-SymbolicName: org.twice\n\n")
    _deploy(repo, "org.one", "twice", "1.0", _pom("org.one", "twice", "1.0"), twice)
    _deploy(repo, "org.two", "twice", "1.0", _pom("org.two", "twice", "1.0"), twice)
    # a pom that says other coordinates than its path
    _deploy(repo, "org.liar", "tool", "2.0", _pom("org.other", "tool", "2.0"), jar(None))
    log = io.StringIO()

    lines = build(repo, log=log)

    digest = hashlib.sha1(lib).hexdigest()
    assert lines == [
        "bundle\torg.example.lib\torg.example:lib",
        "module\torg.example.lib\torg.example:lib",
        f"sha1\t{digest}\torg.example:lib:7",
    ]
    said = log.getvalue()
    assert f"sha1 {hashlib.sha1(twice).hexdigest()} is 2 coordinates" in said
    assert "bundle org.twice names 2 artifacts: left out" in said
    assert "org/liar/tool/2.0/tool-2.0.pom: says" in said
    target = tmp_path / "table.tsv.gz"
    maven_table.write(lines, target)
    first = target.read_bytes()
    maven_table.write(lines, target)
    assert target.read_bytes() == first  # the same table makes the same file
    rebuilt = maven_table.parse(gzip.decompress(first).decode().splitlines())
    assert named(lib, "renamed.jar", rebuilt) == [("org.example:lib", "7", "sha1-table")]


# --- the rules ----------------------------------------------------------------------------


def test_a_jar_in_the_table_is_named_by_its_sha1_where_its_manifest_led_to_a_guess() -> None:
    data = fx.fixture(fx.COMMONS_LOGGING).read_bytes()
    assert named(data, "commons-logging-1.2.jar", table()) == [
        ("commons-logging:commons-logging", "1.2", "sha1-table")
    ]
    # Its symbolic name is shared by Debian's commons-logging-api and -adapters jars, its
    # vendor id is Apache's: without the table it is a guess, and says so.
    assert named(data, "commons-logging-1.2.jar", EMPTY) == [
        ("org.apache:commons-logging", "1.2", "guess:manifest")
    ]


def test_pom_properties_come_before_the_table() -> None:
    data = fx.fixture(fx.LOG4J_JCL).read_bytes()
    assert named(data, "log4j-jcl.jar", table()) == [
        ("org.apache.logging.log4j:log4j-jcl", "2.19.0", "pom.properties")
    ]


@pytest.mark.parametrize(
    ("manifest", "file_name", "expected"),
    [
        (LOG4J_1_2, "log4j-1.2-1.2.17.jar", ("log4j:log4j", "1.2.17", "Bundle-SymbolicName")),
        (
            COMMONS_LANG,
            "commons-lang-2.6.jar",
            ("commons-lang:commons-lang", "2.6", "Bundle-SymbolicName"),
        ),
        # no symbolic name; the vendor id and the file name make a known coordinate
        (
            POSTGRESQL,
            "postgresql.jar",
            ("org.postgresql:postgresql", "42.5.5", "Implementation-Vendor-Id"),
        ),
        (
            "Manifest-Version: 1.0\nAutomatic-Module-Name: org.apache.commons.collections4\n"
            "Implementation-Version: 4.2\n\n",
            "app-collections.jar",
            ("org.apache.commons:commons-collections4", "4.2", "Automatic-Module-Name"),
        ),
    ],
)
def test_manifest_names_lead_to_the_coordinates_the_table_knows(
    manifest: str, file_name: str, expected: tuple[str, str, str]
) -> None:
    name, version, field = expected
    assert named(jar(manifest), file_name, table()) == [(name, version, f"manifest:{field}")]


def test_symbolic_name_and_vendor_id_make_a_coordinate_only_when_it_is_known() -> None:
    manifest = (
        "Manifest-Version: 1.0\nBundle-SymbolicName: org.apache.commons.compress;singleto\n"
        " n:=true\nImplementation-Vendor-Id: org.apache.commons\nBundle-Version: 1.22\n\n"
    )
    # A table that knows the artifact (by a jar's SHA-1), not the symbolic name.
    knows = maven_table.parse([f"sha1\t{'0' * 40}\torg.apache.commons:commons-compress:1.0"])
    assert named(jar(manifest), "compress.jar", knows) == [
        ("org.apache.commons:commons-compress", "1.22", "manifest:Implementation-Vendor-Id")
    ]
    # A bundle named after its groupId alone is that group's last part.
    jsoup = "Manifest-Version: 1.0\nBundle-SymbolicName: org.jsoup\nImplementation-Vendor-Id: or\n"
    jsoup += " g.jsoup\nImplementation-Version: 1.15.3\n\n"
    knows_jsoup = maven_table.parse([f"sha1\t{'1' * 40}\torg.jsoup:jsoup:1.0"])
    assert named(jar(jsoup), "x.jar", knows_jsoup) == [
        ("org.jsoup:jsoup", "1.15.3", "manifest:Implementation-Vendor-Id")
    ]
    # Without it, the name is a guess from the vendor id and the file name, marked as one.
    assert named(jar(manifest), "compress.jar", EMPTY) == [
        ("org.apache.commons:compress", "1.22", "guess:manifest")
    ]
    # The hand-kept table of well-known names still names hamcrest without the shipped one.
    hamcrest = fx.fixture(fx.HAMCREST).read_bytes()
    assert named(hamcrest, "h.jar", EMPTY) == [
        ("org.hamcrest:hamcrest", "2.2", "manifest:Bundle-SymbolicName")
    ]


def test_the_last_resorts_are_guesses_that_say_so() -> None:
    unknown = "Manifest-Version: 1.0\nBundle-SymbolicName: com.acme.tool\nBundle-Version: 2.1\n\n"
    assert named(jar(unknown), "tool-2.1.jar", table()) == [
        ("com.acme.tool:tool", "2.1", "guess:manifest")
    ]
    versionless = "Manifest-Version: 1.0\nCreated-By: javac\n\n"
    assert named(jar(versionless), "widget-0.3.jar", table()) == [
        ("widget", "0.3", "guess:file-name")
    ]
    assert named(jar(versionless), "widget.jar", table()) == []
    assert named(b"not a zip", "widget-0.3.jar", table()) == []


# --- what a user notices: the advisory now finds the jar ----------------------------------


def test_an_advisory_filed_under_the_real_coordinates_finds_a_jar_that_was_guessed(
    tmp_path: Path,
) -> None:
    layer = [Entry("opt/app/lib/log4j-1.2.17.jar", jar(LOG4J_1_2))]

    inventory = walk(layer, CATALOGERS, Limits(), tmp_dir=tmp_path)

    (log4j,) = [c for c in inventory.components if c.cataloger == "java"]
    assert (log4j.name, log4j.purl, log4j.identity) == (
        "log4j:log4j",
        "pkg:maven/log4j/log4j@1.2.17",
        "manifest:Bundle-SymbolicName",
    )
    result = match(inventory.components, advisories(LOG4J_1_SOCKET_SERVER))
    assert [(f.advisory, f.severity, f.evidence) for f in result.findings] == [
        ("GHSA-2qrg-x229-3v8q", "CRITICAL", f"{LAYER}!/opt/app/lib/log4j-1.2.17.jar")
    ]
    # The name it got before, from its Java package: no advisory is filed under it.
    guessed: list[Component] = list(java.components(layer[0], EMPTY))
    assert [(c.name, c.identity) for c in guessed] == [("org.apache.log4j:log4j", "guess:manifest")]
    assert match(guessed, advisories(LOG4J_1_SOCKET_SERVER)).findings == ()
