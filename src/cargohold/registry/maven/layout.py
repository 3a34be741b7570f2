"""The Maven 2 layout: what a path under a repository names, and what a file name says.

``com/example/hello/1.0/hello-1.0-sources.jar`` is the ``sources`` classifier, extension
``jar``, of ``com.example:hello:1.0``; ``hello-1.1-20261207.233037-2.jar`` is build 2 of
``1.1-SNAPSHOT``; ``maven-metadata.xml`` is the metadata of an artifact (``…/hello/``) or of a
snapshot version (``…/hello/1.1-SNAPSHOT/``); a checksum file (``.sha1``, ``.md5``,
``.sha256``, ``.sha512``) lies beside each of them.

A package version is kept under the name ``com/example/hello`` (the group's path and the
artifact): ``package_path(name, version, filename)`` is then the layout's path of a file.
Every segment is checked here, before anything is looked up or stored: whatever is wrong is
a BadRequest that says what.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cargohold.core.errors import BadRequest
from cargohold.records.packages import MAX_VERSION, package_path

METADATA = "maven-metadata.xml"
SNAPSHOT = "-SNAPSHOT"
CHECKSUMS = ("sha1", "md5", "sha256", "sha512")  # the checksum files beside every file
MAX_SEGMENT = 200
MAX_NAME = 255  # the package name column
MAX_PATH = 1000
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+~-]*")
_TIMESTAMP = r"(?P<timestamp>\d{8}\.\d{6})-(?P<build>[1-9]\d{0,8})"
USAGE = (
    "Maven repositories are at /maven/REPOSITORY/ with the Maven 2 layout: "
    "GROUP/PATH/ARTIFACT/VERSION/ARTIFACT-VERSION[-CLASSIFIER].EXT and maven-metadata.xml"
)


@dataclass(frozen=True, slots=True)
class FileName:
    """What the name of a file of a version says of it."""

    classifier: str  # "" for the main artifact
    extension: str  # everything after the first dot past the version: "jar", "tar.gz"
    timestamp: str | None = None  # a snapshot build's "yyyyMMdd.HHmmss"
    build: int | None = None  # a snapshot build's number

    @property
    def unique(self) -> str | None:
        """The timestamped version a snapshot build stands for ("1.1-20261207.233037-2")."""
        if self.timestamp is None:
            return None
        return f"{self.timestamp}-{self.build}"


@dataclass(frozen=True, slots=True)
class Target:
    """What a path under a Maven repository names."""

    group: str  # "com.example"
    artifact: str  # "hello"
    version: str | None  # None: the artifact's own metadata
    filename: str  # the file the path names, without any checksum suffix
    checksum: str | None = None  # the algorithm, when the path names a checksum file

    @property
    def name(self) -> str:
        """The package name the artifact is kept under ("com/example/hello")."""
        return package_name(self.group, self.artifact)

    @property
    def metadata(self) -> bool:
        return self.filename == METADATA

    @property
    def coordinates(self) -> str:
        shown = f"{self.group}:{self.artifact}"
        return shown if self.version is None else f"{shown}:{self.version}"

    @property
    def path(self) -> str:
        """The file's path in the repository's tree."""
        if self.version is None:
            return f"{self.name}/{self.filename}"
        return package_path(self.name, self.version, self.filename)


def package_name(group: str, artifact: str) -> str:
    return f"{group.replace('.', '/')}/{artifact}"


def coordinates_of(name: str) -> tuple[str, str]:
    """(groupId, artifactId) of a package name ("com/example/hello")."""
    group, _, artifact = name.rpartition("/")
    return group.replace("/", "."), artifact


def is_snapshot(version: str) -> bool:
    return version.endswith(SNAPSHOT)


def parse_path(path: str) -> Target:
    """What ``path`` (relative to the repository, "/" separated) names; BadRequest when it
    is not a path of the Maven 2 layout."""
    if len(path) > MAX_PATH:
        raise BadRequest(f"a path is limited to {MAX_PATH} characters")
    segments = path.split("/")
    if len(segments) < 3 or "" in segments:
        raise BadRequest(f"{path[:200]!r} is not a path of the Maven 2 layout; {USAGE}")
    for segment in segments:
        _check_segment(segment)
    last = segments[-1]
    base, checksum = _checksum_of(last)
    if base == METADATA:
        version_level = is_snapshot(segments[-2]) and len(segments) >= 4
        if version_level:
            *group, artifact, version = segments[:-1]
            return _target(group, artifact, version, METADATA, checksum)
        *group, artifact = segments[:-1]
        return _target(group, artifact, None, METADATA, checksum)
    if len(segments) < 4:
        raise BadRequest(
            f"{path[:200]!r} is not a file of a version: GROUP/PATH/ARTIFACT/VERSION/FILE"
        )
    *group, artifact, version, _ = segments
    target = _target(group, artifact, version, base, checksum)
    parse_filename(artifact, version, base)
    return target


def parse_filename(artifact: str, version: str, filename: str) -> FileName:
    """What ``filename`` says, as a file of ``artifact`` ``version``; BadRequest when it is
    not ARTIFACT-VERSION[-CLASSIFIER].EXT (for a snapshot, VERSION may be timestamped)."""
    rest: str | None = None
    timestamp: str | None = None
    build: int | None = None
    if is_snapshot(version):
        base = version.removesuffix(SNAPSHOT)
        unique = re.fullmatch(
            re.escape(f"{artifact}-{base}-") + _TIMESTAMP + r"(?P<rest>[-.].*)", filename
        )
        if unique is not None:
            timestamp, build, rest = unique["timestamp"], int(unique["build"]), unique["rest"]
    if rest is None:
        prefix = f"{artifact}-{version}"
        if not filename.startswith(prefix):
            expected = f"{prefix}[-CLASSIFIER].EXT"
            if is_snapshot(version):
                stem = f"{artifact}-{version.removesuffix(SNAPSHOT)}"
                expected += f" or {stem}-yyyyMMdd.HHmmss-N[-CLASSIFIER].EXT"
            raise BadRequest(
                f"{filename[:200]!r} is not a file of {artifact} {version}: "
                f"its name must be {expected}"
            )
        rest = filename[len(prefix) :]
    if rest.startswith("-"):
        classifier, dot, extension = rest[1:].partition(".")
    elif rest.startswith("."):
        classifier, dot, extension = "", ".", rest[1:]
    else:
        classifier, dot, extension = "", "", ""
    if not dot or not extension or (rest.startswith("-") and not classifier):
        raise BadRequest(
            f"{filename[:200]!r} has no extension after {artifact}-{version}[-CLASSIFIER]"
        )
    return FileName(classifier, extension, timestamp, build)


def _checksum_of(filename: str) -> tuple[str, str | None]:
    stem, dot, suffix = filename.rpartition(".")
    if dot and suffix in CHECKSUMS and stem:
        return stem, suffix
    return filename, None


def _check_segment(segment: str) -> None:
    if len(segment) > MAX_SEGMENT or not _SEGMENT.fullmatch(segment) or ".." in segment:
        raise BadRequest(
            f"{segment[:100]!r} is not an acceptable path segment: letters, digits and "
            f"'.', '_', '-', '+', '~', starting with a letter, a digit or '_', at most "
            f"{MAX_SEGMENT} characters"
        )


def _target(
    group: list[str], artifact: str, version: str | None, filename: str, checksum: str | None
) -> Target:
    if not group:
        raise BadRequest(f"{artifact!r} has no group: GROUP/PATH/ARTIFACT/...; {USAGE}")
    dotted = next((segment for segment in group if "." in segment), None)
    if dotted is not None:
        raise BadRequest(
            f"{dotted[:100]!r}: a group's path has one segment per part of the groupId "
            "(com/example for com.example), without dots"
        )
    if version is not None and len(version) > MAX_VERSION:
        raise BadRequest(f"a version is limited to {MAX_VERSION} characters")
    target = Target(".".join(group), artifact, version, filename, checksum)
    if len(target.name) > MAX_NAME:
        raise BadRequest(f"a group and artifact are limited to {MAX_NAME} characters together")
    return target


__all__ = [
    "CHECKSUMS",
    "METADATA",
    "SNAPSHOT",
    "FileName",
    "Target",
    "coordinates_of",
    "is_snapshot",
    "package_name",
    "parse_filename",
    "parse_path",
]
