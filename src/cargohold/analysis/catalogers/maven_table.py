"""The table of well-known Maven artifacts the java cataloger names jars by when they carry no
``pom.properties``: a jar's SHA-1 → ``groupId:artifactId:version`` (the way Maven Central's
checksum search identifies a jar), and the OSGi ``Bundle-SymbolicName`` and JPMS
``Automatic-Module-Name`` of those jars → ``groupId:artifactId``.

Where the data comes from: Debian's Java library packages, which install each jar under
``/usr/share/maven-repo/<group path>/<artifactId>/<version>/`` beside the pom of the same
coordinates. The poms give groupId, artifactId and version (a pom without its own groupId or
version takes its parent's); the jar gives the SHA-1 and the manifest names. Debian builds
its jars from source, so their SHA-1s are those of the jars Debian ships (what a Debian-based
image installs with apt), not those of Maven Central's builds of the same versions; the
manifest names hold for both. A SHA-1 or a name that leads to two coordinates is left out
(Debian installs some jars under several, relocated, coordinates): the table only ever says
what is certain. Debian's placeholder versions (``debian``, ``3.x``) are skipped.

The table is shipped as ``data/maven-artifacts.tsv.gz``: sorted tab-separated lines
``sha1 <hex> <group:artifact:version>``, ``bundle <symbolic name> <group:artifact>``,
``module <module name> <group:artifact>``, compressed, read once on first use.

To rebuild it (offline; install more ``lib*-java`` packages first for a bigger table)::

    python -m cargohold.analysis.catalogers.maven_table /usr/share/maven-repo \\
        src/cargohold/analysis/catalogers/data/maven-artifacts.tsv.gz

It prints how many jars it read, what it kept and what it left out, and why. The shipped
table was built on Debian 12 with, among others, liblog4j2-java, liblog4j1.2-java,
libjackson2-databind-java, libguava-java, libslf4j-java, libcommons-{lang,lang3,io,codec,
collections3,collections4,compress,text,logging}-java, libhttpclient-java,
libpostgresql-jdbc-java, libnetty-java, libjetty9-java, libspring-core-java, libxstream-java,
libbcprov-java, libgoogle-gson-java and libyaml-snake-java installed: 364 jars gave 354
SHA-1s and 242 manifest names, 15 KB compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree

from cargohold.analysis.catalogers.jar_manifest import manifest, symbolic_name

DATA = "data/maven-artifacts.tsv.gz"

# Debian's placeholder versions: "debian", and "3.x" for the newest of a major version.
PLACEHOLDER = re.compile(r"^(debian|\d+(\.\d+)*\.x)$")

# The manifest names the table keeps, by the kind written in its lines.
BUNDLE = "bundle"
MODULE = "module"
SHA1 = "sha1"


@dataclass(frozen=True, slots=True, order=True)
class Coordinates:
    group: str
    artifact: str
    version: str = ""

    @property
    def name(self) -> str:
        """``groupId:artifactId``: how OSV names a Maven package."""
        return f"{self.group}:{self.artifact}"


@dataclass(frozen=True, slots=True)
class MavenTable:
    by_sha1: dict[str, Coordinates]
    by_name: dict[tuple[str, str], Coordinates]  # (BUNDLE or MODULE, name) → group:artifact
    known: frozenset[str]  # every groupId:artifactId the table holds

    def sha1(self, hexdigest: str) -> Coordinates | None:
        return self.by_sha1.get(hexdigest.lower())

    def name(self, kind: str, name: str) -> Coordinates | None:
        return self.by_name.get((kind, name))


def parse(lines: Iterable[str]) -> MavenTable:
    by_sha1: dict[str, Coordinates] = {}
    by_name: dict[tuple[str, str], Coordinates] = {}
    for line in lines:
        kind, key, value = line.rstrip("\n").split("\t")
        parts = value.split(":")
        if kind == SHA1:
            by_sha1[key] = Coordinates(*parts)
        else:
            by_name[(kind, key)] = Coordinates(parts[0], parts[1])
    known = frozenset(c.name for c in (*by_sha1.values(), *by_name.values()))
    return MavenTable(by_sha1, by_name, known)


@cache
def table() -> MavenTable:
    """The shipped table, read on first use."""
    data = resources.files("cargohold.analysis.catalogers").joinpath(DATA).read_bytes()
    return parse(gzip.decompress(data).decode().splitlines())


# --- building it, offline, from Debian's Maven repository --------------------------------


def _text(element: ElementTree.Element | None, tag: str) -> str:
    found = None if element is None else element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def pom_coordinates(pom: bytes) -> Coordinates:
    """groupId, artifactId and version of a pom, the missing ones taken from its parent."""
    root = ElementTree.fromstring(pom)
    for element in root.iter():  # drop the POM namespace
        element.tag = element.tag.rpartition("}")[2]
    parent = root.find("parent")
    return Coordinates(
        _text(root, "groupId") or _text(parent, "groupId"),
        _text(root, "artifactId"),
        _text(root, "version") or _text(parent, "version"),
    )


def manifest_names(jar: bytes) -> dict[str, str]:
    """The jar's Bundle-SymbolicName (without its directives) and Automatic-Module-Name."""
    with zipfile.ZipFile(io.BytesIO(jar)) as archive:
        if "META-INF/MANIFEST.MF" not in archive.namelist():
            return {}
        fields = manifest(archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace"))
    names = {BUNDLE: symbolic_name(fields), MODULE: fields.get("Automatic-Module-Name", "")}
    return {kind: name.strip() for kind, name in names.items() if name.strip()}


def build(repo: Path, log: TextIO | None = None) -> list[str]:
    """The table's lines, sorted, from the Maven repository at ``repo``."""
    sha1s: dict[str, set[Coordinates]] = defaultdict(set)
    names: dict[tuple[str, str], set[Coordinates]] = defaultdict(set)
    jars = 0
    for pom_path in sorted(repo.rglob("*.pom")):
        version_dir = pom_path.parent
        if PLACEHOLDER.match(version_dir.name):
            continue
        try:
            coordinates = pom_coordinates(pom_path.read_bytes())
        except ElementTree.ParseError as exc:
            _say(log, f"{pom_path}: not a pom ({exc}): skipped")
            continue
        relative = version_dir.relative_to(repo).parts
        expected = (".".join(relative[:-2]), relative[-2], relative[-1])
        if (coordinates.group, coordinates.artifact, coordinates.version) != expected:
            _say(log, f"{pom_path}: says {coordinates}, its path {expected}: skipped")
            continue
        for jar in sorted(version_dir.glob(f"{coordinates.artifact}-*.jar")):
            data = jar.read_bytes()
            jars += 1
            sha1s[hashlib.sha1(data, usedforsecurity=False).hexdigest()].add(coordinates)
            try:
                in_manifest = manifest_names(data)
            except zipfile.BadZipFile:
                _say(log, f"{jar}: not a zip: skipped")
                continue
            for kind, name in in_manifest.items():
                names[(kind, name)].add(Coordinates(coordinates.group, coordinates.artifact))
    lines = []
    for digest, by_sha1 in sha1s.items():
        if len(by_sha1) == 1:
            (one,) = by_sha1
            lines.append(f"{SHA1}\t{digest}\t{one.group}:{one.artifact}:{one.version}")
        else:
            _say(log, f"sha1 {digest} is {len(by_sha1)} coordinates: {sorted(by_sha1)}: left out")
    for (kind, name), named in names.items():
        if len(named) == 1:
            (artifact,) = named
            lines.append(f"{kind}\t{name}\t{artifact.name}")
        else:
            _say(log, f"{kind} {name} names {len(named)} artifacts: left out")
    kept = sum(1 for line in lines if line.startswith(SHA1))
    _say(log, f"{jars} jars read; {kept} sha1s and {len(lines) - kept} manifest names kept")
    return sorted(lines)


def _say(log: TextIO | None, message: str) -> None:
    if log is not None:
        log.write(message + "\n")


def write(lines: Iterable[str], target: Path) -> None:
    text = "".join(f"{line}\n" for line in lines).encode()
    # mtime=0: the same table makes the same bytes.
    target.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    repo, target = Path(argv[0]), Path(argv[1])
    write(build(repo, log=sys.stderr), target)
    print(f"{target}: {target.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


__all__ = ["Coordinates", "MavenTable", "build", "parse", "pom_coordinates", "table", "write"]
