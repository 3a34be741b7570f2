"""What a Python distribution file says of itself: its name and version from its filename
(a wheel's parsed by ``packaging``, an sdist's ``NAME-VERSION.tar.gz`` or ``.zip``) and from
the core metadata inside it (a wheel's ``*.dist-info/METADATA``, an sdist's ``PKG-INFO`` in
its top directory ``NAME-VERSION``).

Plain synchronous code, run off the event loop on a local copy of the file; every archive
is read within bounds (members looked at, bytes of metadata), and whatever is wrong with a
file is a BadRequest that says what.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from dataclasses import dataclass
from typing import TypeVar

from packaging.metadata import parse_email
from packaging.utils import (
    InvalidName,
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from cargohold.core.errors import BadRequest
from cargohold.records.packages import MAX_REQUIRES_PYTHON, MAX_VERSION
from cargohold.registry.packages.names import package_name

M = TypeVar("M")
WHEEL = "bdist_wheel"
SDIST = "sdist"
FILETYPES = (WHEEL, SDIST)
MAX_FILENAME = 255
MAX_METADATA = 16 * 1024 * 1024  # bytes of METADATA / PKG-INFO read
MAX_MEMBERS = 100_000  # archive members looked at to find the metadata
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name (as every package repository keeps it)."""
    return package_name("pypi", name)


def valid_name(name: str) -> str:
    """``name`` if it is a valid project name (PEP 508), else BadRequest."""
    if not _NAME.match(name) or len(name) > 200:
        raise BadRequest(
            f"{name[:100]!r} is not a valid project name: letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit"
        )
    return name


def valid_version(version: str) -> Version:
    if len(version) > MAX_VERSION:
        raise BadRequest(f"version {version[:40]!r}… is longer than {MAX_VERSION} characters")
    try:
        return Version(version)
    except InvalidVersion:
        raise BadRequest(f"{version[:100]!r} is not a valid version (PEP 440)") from None


def check_filename(filename: str) -> str:
    """The filename of an upload, refused when it holds a path or is not a distribution's."""
    if not filename:
        raise BadRequest("the upload has no filename")
    if any(c in filename for c in "/\\\x00") or filename.startswith(".") or ".." in filename:
        raise BadRequest(f"{filename[:100]!r} is not a plain file name: it may hold no path")
    if len(filename) > MAX_FILENAME or not filename.isprintable():
        raise BadRequest(f"{filename[:100]!r} is not an acceptable file name")
    return filename


@dataclass(frozen=True, slots=True)
class Named:
    """What a distribution's filename says."""

    filetype: str  # WHEEL or SDIST
    name: str  # normalized
    version: Version
    zipped: bool  # a wheel, or a .zip sdist


def parse_filename(filename: str) -> Named:
    check_filename(filename)
    try:
        if filename.endswith(".whl"):
            wheel_name, version, _, _ = parse_wheel_filename(filename)
            return Named(WHEEL, str(wheel_name), version, True)
        if filename.endswith((".tar.gz", ".zip")):
            sdist_name, version = parse_sdist_filename(filename)
            return Named(SDIST, str(sdist_name), version, filename.endswith(".zip"))
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion, InvalidName) as exc:
        raise BadRequest(f"invalid distribution filename {filename[:100]!r}: {exc}") from None
    raise BadRequest(
        f"{filename[:100]!r} is not a wheel (.whl) or an sdist (.tar.gz, .zip): "
        "PyPI repositories hold only those"
    )


@dataclass(frozen=True, slots=True)
class CoreMetadata:
    """The core metadata of a distribution, as found in it."""

    raw: bytes
    name: str  # as written
    version: Version
    requires_python: str | None
    summary: str


def read_metadata(path: str, named: Named) -> CoreMetadata:
    """The core metadata inside the distribution at ``path`` (BadRequest when there is none
    or the file is not the archive its name says)."""
    try:
        if named.filetype == WHEEL:
            raw = _wheel_metadata(path)
        elif named.zipped:
            raw = _zip_pkg_info(path)
        else:
            raw = _tar_pkg_info(path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise BadRequest(f"the file is not a readable archive: {exc}") from None
    return parse_metadata(raw)


def _wheel_metadata(path: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()[:MAX_MEMBERS]
        found = [
            info
            for info in infos
            if info.filename.count("/") == 1
            and info.filename.split("/")[0].endswith(".dist-info")
            and info.filename.endswith("/METADATA")
        ]
        if len(found) != 1:
            raise BadRequest(
                "a wheel must hold exactly one NAME-VERSION.dist-info/METADATA; "
                f"this one holds {len(found)}"
            )
        return _read_zip_member(archive, found[0])


def _zip_pkg_info(path: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()[:MAX_MEMBERS]
        found = [
            i for i in infos if i.filename.count("/") == 1 and i.filename.endswith("/PKG-INFO")
        ]
        return _read_zip_member(archive, _one_pkg_info(found))


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_METADATA:
        raise BadRequest(f"{info.filename} is larger than {MAX_METADATA} bytes")
    with archive.open(info) as handle:
        return handle.read(MAX_METADATA + 1)[:MAX_METADATA]


def _tar_pkg_info(path: str) -> bytes:
    with tarfile.open(path, "r:*") as archive:
        candidates: list[tarfile.TarInfo] = []
        for count, member in enumerate(archive):
            if count >= MAX_MEMBERS:
                break
            name = member.name.removeprefix("./")
            if name.count("/") == 1 and name.endswith("/PKG-INFO") and member.isfile():
                candidates.append(member)
        member = _one_pkg_info(candidates)
        if member.size > MAX_METADATA:
            raise BadRequest(f"{member.name} is larger than {MAX_METADATA} bytes")
        handle = archive.extractfile(member)
        if handle is None:
            raise BadRequest(f"{member.name} cannot be read")
        with handle:
            return handle.read(MAX_METADATA)


def _one_pkg_info(found: list[M]) -> M:
    if len(found) != 1:
        raise BadRequest(
            "an sdist must hold one top directory NAME-VERSION with its PKG-INFO; "
            f"this one holds {len(found)} PKG-INFO files at that level"
        )
    return found[0]


def parse_metadata(raw: bytes) -> CoreMetadata:
    fields, _ = parse_email(raw)
    name = fields.get("name")
    version = fields.get("version")
    if not name or not version:
        raise BadRequest("the distribution's core metadata has no Name or no Version")
    valid_name(name)
    requires = fields.get("requires_python")
    if requires is not None and len(requires) > MAX_REQUIRES_PYTHON:
        raise BadRequest(
            f"the distribution's Requires-Python is longer than {MAX_REQUIRES_PYTHON} characters"
        )
    return CoreMetadata(
        raw, name, valid_version(version), requires or None, fields.get("summary") or ""
    )


def agreeing(named: Named, metadata: CoreMetadata, form_name: str, form_version: str) -> None:
    """BadRequest unless the form, the filename and the metadata name the same project and
    version."""
    form = (normalize(valid_name(form_name)), valid_version(form_version))
    said = {
        "the upload form": form,
        "the filename": (normalize(named.name), named.version),
        "the file's metadata": (normalize(metadata.name), metadata.version),
    }
    first, (name, version) = next(iter(said.items()))
    for where, (other_name, other_version) in said.items():
        if other_name != name:
            raise BadRequest(
                f"{where} names project {other_name!r}, {first} {name!r}: they must agree"
            )
        if other_version != version:
            raise BadRequest(
                f"{where} says version {other_version}, {first} {version}: they must agree"
            )


__all__ = [
    "FILETYPES",
    "SDIST",
    "WHEEL",
    "CoreMetadata",
    "Named",
    "agreeing",
    "check_filename",
    "normalize",
    "parse_filename",
    "parse_metadata",
    "read_metadata",
    "valid_name",
    "valid_version",
]
