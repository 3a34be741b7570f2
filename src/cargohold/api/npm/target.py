"""What an ``/npm/<repository>/…`` request names, parsed from the raw path so that a scoped
name is read whether npm escapes its slash (``@scope%2fname``, packuments and publishes) or
not (``@scope/name/-/name-1.0.0.tgz``, tarballs).

The registry API's own endpoints start with ``-/``; everything else starts with a package
name, followed by nothing (the packument), ``-rev/REV`` (the packument PUT back or the
package deleted), ``-/FILE`` (a tarball), ``-/FILE/-rev/REV`` (a tarball deleted) or a
version or dist-tag (one version's manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from cargohold.core.errors import BadRequest, NotFound
from cargohold.core.names import validate_repository_key
from cargohold.registry.npm.names import readable_name

PREFIX = b"/npm/"
MAX_PATH = 4096
USAGE = "npm repositories are at /npm/<repository>/ (the registry URL npm is given)"


@dataclass(frozen=True, slots=True)
class Target:
    repository: str
    kind: str  # "api", "package", "revision", "tarball", "tarball-revision", "version"
    name: str = ""  # the package name, or the API endpoint's path after "-/"
    filename: str = ""  # a tarball's file name; a version or dist-tag for "version"
    rest: tuple[str, ...] = ()  # the API endpoint's segments after "-/"

    def __str__(self) -> str:
        return f"{self.repository}/{self.name}" + (f"/{self.filename}" if self.filename else "")


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the path is not UTF-8 once percent-decoded") from None


def parse_target(raw: bytes) -> Target:
    if not raw.startswith(PREFIX):
        raise NotFound(USAGE)
    if len(raw) > MAX_PATH:
        raise BadRequest(f"path longer than {MAX_PATH} bytes")
    segments = [_decode(s) for s in raw[len(PREFIX) :].split(b"/")]
    key, rest = segments[0], segments[1:]
    if not key:
        raise NotFound(USAGE)
    validate_repository_key(key)
    while rest and rest[-1] == "":
        rest.pop()
    if not rest:
        raise NotFound(f"name a package: /npm/{key}/<name>")
    if rest[0] == "-":
        return Target(key, "api", "/".join(rest[1:]), rest=tuple(rest[1:]))
    name, rest = take_name(rest)
    return _package_target(key, name, rest)


def take_name(segments: list[str]) -> tuple[str, list[str]]:
    """The package name the segments start with, and what follows it."""
    first, rest = segments[0], segments[1:]
    if first.startswith("@") and "/" not in first:  # @scope/name, its slash not escaped
        if not rest:
            raise BadRequest(f"scoped name {first[:100]!r} needs a package: @scope/name")
        first, rest = f"{first}/{rest[0]}", rest[1:]
    return readable_name(first), rest


def _package_target(key: str, name: str, rest: list[str]) -> Target:
    for part in rest:
        if "/" in part or part in ("", ".", ".."):
            raise BadRequest(f"{part[:100]!r} is not a path segment npm sends")
    match rest:
        case []:
            return Target(key, "package", name)
        case ["-rev", _]:
            return Target(key, "revision", name)
        case ["-", filename]:
            return Target(key, "tarball", name, filename)
        case ["-", filename, "-rev", _]:
            return Target(key, "tarball-revision", name, filename)
        case [version]:
            return Target(key, "version", name, version)
    raise NotFound(f"nothing at this path of package {name}")


__all__ = ["Target", "parse_target", "take_name"]
