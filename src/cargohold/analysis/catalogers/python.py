"""Python distributions: installed ``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO``,
wheels (the walker opens the zip and shows us its METADATA) and sdists (the ``PKG-INFO`` at
the top of the tarball).

An sdist is known by its layout, whatever the file is called where it is stored (a generic
repository keeps it under any name; a scan names it by digest): one top directory
``NAME-VERSION`` holding a ``PKG-INFO`` whose own name and version are those, as every build
backend writes it (setuptools, flit, poetry, hatch). An ``*.egg-info/PKG-INFO`` inside such a
directory repeats the top one and is not counted again."""

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


def _tops_sdist(path: str, name: str, version: str) -> bool:
    """True when ``path`` is inside a top directory named for the distribution it describes
    (``NAME-VERSION``, normalized), as an sdist's is."""
    top = path.split("/", 1)[0]
    return "/" in path and normalize(top) == normalize(f"{name}-{version}")


def _headers(entry: FileEntry) -> dict[str, list[str]]:
    message = BytesHeaderParser(policy=compat32).parsebytes(entry.read())
    headers: dict[str, list[str]] = {}
    for key, value in message.items():
        headers.setdefault(key.lower(), []).append(str(value))
    return headers


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
    headers = _headers(entry)
    name = headers.get("name", [""])[0].strip()
    version = headers.get("version", [""])[0].strip()
    if not name or not version:
        return
    if path.endswith("/PKG-INFO") or path == "PKG-INFO":
        parent = path.rsplit("/", 2)[-2] if "/" in path else ""
        in_sdist = _tops_sdist(path, name, version) or _in_sdist(entry)
        if parent.endswith(".egg-info"):
            if in_sdist:  # an sdist's egg-info repeats its top PKG-INFO
                return
        elif path.count("/") != 1 or not in_sdist:
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
    version="2",
    patterns=("*.dist-info/METADATA", "*.egg-info/PKG-INFO", "*/PKG-INFO"),
    parse=parse,
)
