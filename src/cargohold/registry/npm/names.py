"""npm's package names and versions, checked as the npm registry checks a publish: a name is
lowercase and URL-safe, at most 214 characters, optionally scoped (``@scope/name``); a version
is a SemVer 2.0 version. A name never holds a path segment of its own (``..``, ``.``), so it
is safe as the first segments of a package file's path."""

from __future__ import annotations

import re

from cargohold.core.errors import BadRequest, NameInvalid
from cargohold.records.packages import MAX_VERSION

MAX_NAME = 214
# validate-npm-package-name for new packages: URL-safe lowercase characters, no leading dot
# or underscore, a scope of the same characters.
_NAME = re.compile(r"^(?:@[a-z0-9\-~][a-z0-9\-._~]*/)?[a-z0-9\-~][a-z0-9\-._~]*$")
# Names an upstream may hold from before today's rules (uppercase, a few more characters):
# read, never published.
_LEGACY = re.compile(
    r"^(?:@[A-Za-z0-9\-~][A-Za-z0-9\-._~]*/)?[A-Za-z0-9\-~][A-Za-z0-9\-._~!'()*]*$"
)
_BLOCKED = frozenset({"node_modules", "favicon.ico"})
# semver.org's regular expression for SemVer 2.0.0.
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-._~]{0,127}$")


def validate_name(name: str) -> str:
    """``name`` if npm would accept it for a new package; NameInvalid saying why if not."""
    shown = name[:100]
    if not name:
        raise NameInvalid("a package name is required")
    if len(name) > MAX_NAME:
        raise NameInvalid(f"package name {shown!r}… is longer than {MAX_NAME} characters")
    if name != name.lower():
        raise NameInvalid(f"package name {shown!r} has uppercase letters; npm names are lowercase")
    if not _NAME.match(name) or name in _BLOCKED:
        raise NameInvalid(
            f"package name {shown!r} is not a valid npm name: lowercase letters, digits and "
            "'-._~', not starting with '.' or '_', optionally scoped as @scope/name"
        )
    return name


def readable_name(name: str) -> str:
    """``name`` if it may name a package to read (legacy names too); NameInvalid if not."""
    if not name or len(name) > MAX_NAME or not _LEGACY.match(name):
        raise NameInvalid(f"{name[:100]!r} is not an npm package name")
    return name


def validate_version(version: str) -> str:
    if len(version) > MAX_VERSION or not _SEMVER.match(version):
        raise BadRequest(f"version {version[:100]!r} is not a valid semantic version (x.y.z)")
    return version


def is_version(text: str) -> bool:
    return len(text) <= MAX_VERSION and _SEMVER.match(text) is not None


def validate_tag(tag: str) -> str:
    """A dist-tag name: not a version (npm would not know which was meant)."""
    if not _TAG.match(tag) or is_version(tag) or is_version(tag.removeprefix("v")):
        raise BadRequest(
            f"dist-tag {tag[:100]!r} is not valid: letters, digits and '-._~', not a version"
        )
    return tag


def basename(name: str) -> str:
    """The unscoped part of a name: ``@scope/pkg`` → ``pkg``."""
    return name.rpartition("/")[2]


def tarball_filename(name: str, version: str) -> str:
    return f"{basename(name)}-{version}.tgz"


def version_of_filename(name: str, filename: str) -> str | None:
    """The version a tarball's file name ``NAME-VERSION.tgz`` is of, if it is one."""
    prefix = f"{basename(name)}-"
    if not filename.startswith(prefix) or not filename.endswith(".tgz"):
        return None
    version = filename[len(prefix) : -len(".tgz")]
    return version if is_version(version) else None


__all__ = [
    "MAX_NAME",
    "basename",
    "is_version",
    "readable_name",
    "tarball_filename",
    "validate_name",
    "validate_tag",
    "validate_version",
    "version_of_filename",
]
