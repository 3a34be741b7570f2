"""Packages as values: a version of a package, one of its files, a dist-tag.

The formats that hold packages (PyPI, npm) keep them alike: each file of a version is a file
of the repository's tree at ``NAME/VERSION/FILENAME`` (a ``GenericFileRecord``, so storage,
quotas, garbage collection, scans and where-used treat it as any stored file), and the
version itself is a row of its own with the format's document of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.records.generic import GenericFileRecord

MAX_VERSION = 128  # the longest version a repository keeps (the column's length)
MAX_REQUIRES_PYTHON = 255  # the longest Requires-Python a file may have


def package_path(name: str, version: str, filename: str) -> str:
    """Where a file of a package version lies in its repository's tree."""
    return f"{name}/{version}/{filename}"


@dataclass(frozen=True, slots=True)
class PackageVersion:
    repository: str
    name: str  # as the format identifies it: PyPI's normalised name, npm's (scoped) name
    version: str
    created_at: float
    created_by: str
    # why the version should no longer be used: PyPI's yank reason ("" when none was given),
    # npm's deprecation message; None while it is fine
    yanked: str | None = None
    # the format's document of the version, JSON: npm's version manifest (the package.json
    # as published, with ``dist``); PyPI's {"name": the name as uploaded, "summary": ...}
    document: str = "{}"


@dataclass(frozen=True, slots=True)
class PackageFile:
    """One file of a package version: its bytes (``file``) and what the index says of it."""

    file: GenericFileRecord  # at package_path(name, version, filename)
    name: str
    version: str
    filename: str
    requires_python: str | None = None  # PyPI: the file's Requires-Python
    # PyPI: a wheel's METADATA, served per PEP 658 (read only when a file is asked for by
    # itself: listings carry its hash alone)
    core_metadata: bytes | None = None
    core_metadata_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class DistTag:
    """npm: a name pointing at a version of a package (``latest``, ``next``)."""

    repository: str
    name: str
    tag: str
    version: str


@dataclass(frozen=True, slots=True)
class PackageSettings:
    """What a local PyPI or npm repository allows beyond the defaults."""

    overwrite: bool = False  # re-uploading a file (PyPI) or a version (npm) that exists
    unpublish: bool = True  # npm unpublish and deleting versions


__all__ = [
    "MAX_REQUIRES_PYTHON",
    "MAX_VERSION",
    "DistTag",
    "PackageFile",
    "PackageSettings",
    "PackageVersion",
    "package_path",
]
