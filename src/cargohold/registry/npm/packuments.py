"""Packuments: npm's document of a package, built from its version rows and dist-tags.

Each version row keeps the manifest as published (``PackageVersion.document``) with a
``dist`` that names its tarball's ``integrity`` and ``shasum`` but no URL: the URL is made
when the document is served, under the repository it is read through (a virtual
repository's tarballs are its own). The full document is what ``npm view`` and ``npm
publish`` read; the abbreviated one (``application/vnd.npm.install-v1+json``) holds only what
an install needs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cargohold.core.times import rfc3339
from cargohold.records.packages import PackageVersion
from cargohold.registry.npm.names import tarball_filename

ABBREVIATED = "application/vnd.npm.install-v1+json"
INSTALL_FIELDS = (
    "name",
    "version",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "bundleDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bin",
    "directories",
    "dist",
    "engines",
    "cpu",
    "os",
    "deprecated",
    "hasInstallScript",
    "_hasShrinkwrap",
)
# What the full document repeats at its top from the manifest of the latest version.
SUMMARY_FIELDS = (
    "description",
    "keywords",
    "license",
    "homepage",
    "repository",
    "bugs",
    "author",
    "maintainers",
    "readme",
    "readmeFilename",
)
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")


@dataclass(frozen=True, slots=True)
class Packument:
    """A package as one repository shows it: its versions (oldest first) and dist-tags."""

    name: str
    versions: tuple[PackageVersion, ...]
    tags: Mapping[str, str]

    def version(self, version: str) -> PackageVersion | None:
        return next((v for v in self.versions if v.version == version), None)


def manifest(version: PackageVersion, tarball_url: str) -> dict[str, Any]:
    """The manifest of one version as served: its tarball's URL, its deprecation."""
    doc: dict[str, Any] = dict(json.loads(version.document))
    doc["name"] = version.name
    doc["version"] = version.version
    doc["_id"] = f"{version.name}@{version.version}"
    dist = doc.get("dist")
    doc["dist"] = {**(dist if isinstance(dist, dict) else {}), "tarball": tarball_url}
    if version.yanked:
        doc["deprecated"] = version.yanked
    else:
        doc.pop("deprecated", None)
    scripts = doc.get("scripts")
    if isinstance(scripts, dict) and any(s in scripts for s in INSTALL_SCRIPTS):
        doc.setdefault("hasInstallScript", True)
    return doc


def tarball_urls(base: str) -> Callable[[PackageVersion], str]:
    """The URL of each version's tarball under ``base`` (``…/npm/KEY``)."""

    def url(version: PackageVersion) -> str:
        return f"{base}/{version.name}/-/{tarball_filename(version.name, version.version)}"

    return url


def full(packument: Packument, url: Callable[[PackageVersion], str]) -> dict[str, Any]:
    versions = {v.version: manifest(v, url(v)) for v in packument.versions}
    times = {v.version: rfc3339(v.created_at, "milliseconds") for v in packument.versions}
    created = min((v.created_at for v in packument.versions), default=0.0)
    doc: dict[str, Any] = {
        "_id": packument.name,
        "_rev": revision(packument),
        "name": packument.name,
        "dist-tags": dict(packument.tags),
    }
    latest = versions.get(packument.tags.get("latest", ""))
    if latest is not None:
        doc.update({k: latest[k] for k in SUMMARY_FIELDS if k in latest})
    doc["versions"] = versions
    doc["time"] = {
        "created": rfc3339(created, "milliseconds"),
        "modified": modified(packument),
        **times,
    }
    return doc


def abbreviated(packument: Packument, url: Callable[[PackageVersion], str]) -> dict[str, Any]:
    versions: dict[str, Any] = {}
    for version in packument.versions:
        whole = manifest(version, url(version))
        versions[version.version] = {k: whole[k] for k in INSTALL_FIELDS if k in whole}
    return {
        "name": packument.name,
        "modified": modified(packument),
        "dist-tags": dict(packument.tags),
        "versions": versions,
    }


def modified(packument: Packument) -> str:
    return rfc3339(max((v.created_at for v in packument.versions), default=0.0), "milliseconds")


def revision(packument: Packument) -> str:
    """CouchDB's ``_rev`` shape (``N-hex``), changing whenever the package does."""
    state = [
        [v.version, v.yanked, v.created_at, hashlib.sha256(v.document.encode()).hexdigest()]
        for v in packument.versions
    ]
    digest = hashlib.sha256(json.dumps([state, sorted(packument.tags.items())]).encode())
    return f"{len(packument.versions)}-{digest.hexdigest()[:32]}"


def merged(name: str, parts: Sequence[Packument]) -> Packument:
    """One packument of several repositories' (a virtual repository's members, in order):
    a version or a dist-tag is taken from the first that has it."""
    versions: dict[str, PackageVersion] = {}
    tags: dict[str, str] = {}
    for part in parts:
        for version in part.versions:
            versions.setdefault(version.version, version)
        for tag, target in part.tags.items():
            if target in versions:
                tags.setdefault(tag, target)
    ordered = sorted(versions.values(), key=lambda v: v.created_at)
    return Packument(name, tuple(ordered), tags)


__all__ = [
    "ABBREVIATED",
    "INSTALL_FIELDS",
    "Packument",
    "abbreviated",
    "full",
    "manifest",
    "merged",
    "revision",
    "tarball_urls",
]
