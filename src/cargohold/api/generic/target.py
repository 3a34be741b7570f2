"""What a ``/generic/…`` request names: the repository, the path in it, whether it asks for
a folder (a trailing ``/``), and the matrix parameters (``;key=value1,value2``) that become
properties of a deployed file.

Parsed from the raw path, so that an encoded ``/`` (``%2F``) or ``;`` (``%3B``) stays part of
a name, and an encoded dot segment (``%2e%2e``) is refused like a plain one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargohold.api.matrix import segment_name
from cargohold.core.errors import BadRequest, NotFound
from cargohold.core.names import validate_repository_key
from cargohold.core.paths import MAX_PATH_LENGTH, check_path

PREFIX = b"/generic/"


@dataclass(frozen=True, slots=True)
class Target:
    repository: str
    path: str  # "" is the repository's root folder
    folder: bool  # the request path ended with "/"
    properties: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.repository}/{self.path}"


def parse_target(raw: bytes) -> Target:
    if not raw.startswith(PREFIX):
        raise NotFound("generic files are at /generic/<repository>/<path>")
    rest = raw[len(PREFIX) :]
    if len(rest) > 4 * MAX_PATH_LENGTH:
        raise BadRequest(f"path longer than {MAX_PATH_LENGTH} characters")
    folder = rest.endswith(b"/")
    segments = rest.removesuffix(b"/").split(b"/")
    properties: dict[str, list[str]] = {}
    names = [segment_name(segment, properties) for segment in segments]
    key = names[0]
    if not key:
        raise NotFound("generic files are at /generic/<repository>/<path>")
    validate_repository_key(key)
    path = "/".join(names[1:])
    check_path(path, folder=True)
    return Target(key, path, folder or not path, properties)


__all__ = ["Target", "parse_target"]
