"""Python distributions: installed ``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO``,
wheels (the walker opens the zip and shows us its METADATA) and sdists (the ``PKG-INFO`` at
the top of the tarball)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32

from packageurl import PackageURL

from cargohold.analysis.model import NESTED, Cataloger, Component, FileEntry

NAME = "python"

_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
_CLASSIFIER = "License :: "


def normalize(name: str) -> str:
    """The PEP 503 normalized name, which PyPI purls and OSV use."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _in_sdist(entry: FileEntry) -> bool:
    """True when the entry's top directory is ``NAME-VERSION`` inside ``NAME-VERSION.tar.gz``:
    the archive it was found in is an sdist."""
    archive = entry.evidence.rsplit(NESTED, 1)[0].rsplit("/", 1)[-1]
    top = entry.path.split("/", 1)[0]
    return any(archive == top + suffix for suffix in _SDIST_SUFFIXES)


def licenses(headers: dict[str, list[str]]) -> tuple[str, ...]:
    """License-Expression (PEP 639) when given, else License (when it is a short name, not
    the whole license text), else the trove classifiers' license names."""
    if expression := headers.get("license-expression"):
        return (expression[0].strip(),)
    found: list[str] = []
    for raw in headers.get("license", []):
        value = raw.strip()
        if value and value.upper() != "UNKNOWN" and "\n" not in value and len(value) <= 100:
            found.append(value)
    if not found:
        for classifier in headers.get("classifier", []):
            if classifier.startswith(_CLASSIFIER):
                name = classifier.rsplit(" :: ", 1)[-1].strip()
                if name and name != "OSI Approved":
                    found.append(name)
    return tuple(dict.fromkeys(found))


def parse(entry: FileEntry) -> Iterator[Component]:
    path = entry.path
    if path.endswith("/PKG-INFO") or path == "PKG-INFO":
        parent = path.rsplit("/", 2)[-2] if "/" in path else ""
        if parent.endswith(".egg-info"):
            if _in_sdist(entry):  # an sdist's egg-info repeats its top PKG-INFO
                return
        elif path.count("/") != 1 or not _in_sdist(entry):
            return
    message = BytesHeaderParser(policy=compat32).parsebytes(entry.read())
    headers: dict[str, list[str]] = {}
    for key, value in message.items():
        headers.setdefault(key.lower(), []).append(str(value))
    name = headers.get("name", [""])[0].strip()
    version = headers.get("version", [""])[0].strip()
    if not name or not version:
        return
    purl = PackageURL(type="pypi", name=normalize(name), version=version)
    yield Component(
        name=normalize(name),
        version=version,
        ecosystem="PyPI",
        purl=purl.to_string(),
        cataloger=NAME,
        evidence=entry.evidence,
        licenses=licenses(headers),
    )


CATALOGER = Cataloger(
    name=NAME,
    version="1",
    patterns=("*.dist-info/METADATA", "*.egg-info/PKG-INFO", "*/PKG-INFO"),
    parse=parse,
)
