"""Tiny Python distributions built in memory for the PyPI tests: a wheel (a zip with its
``NAME-VERSION.dist-info/{METADATA,WHEEL,RECORD}`` and a module) and an sdist (a tar.gz with
``NAME-VERSION/PKG-INFO`` and ``pyproject.toml``), and the upload form twine sends."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dist:
    filename: str
    data: bytes
    filetype: str  # bdist_wheel or sdist
    name: str
    version: str
    metadata: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data, usedforsecurity=False).hexdigest()


def metadata(name: str, version: str, requires_python: str | None = None) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", "Summary: a test"]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    return ("\n".join(lines) + "\n\n").encode()


def _module(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def wheel(
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    meta_name: str | None = None,
    meta_version: str | None = None,
    filename: str | None = None,
    payload: bytes = b"",
) -> Dist:
    """A pure-Python wheel whose module ``NAME`` sets ``VERSION`` (and holds ``payload`` as
    a data file, to make it as large as a test needs)."""
    module = _module(name)
    stem = f"{module}-{version}"
    meta = metadata(meta_name or name, meta_version or version, requires_python)
    files = {
        f"{module}/__init__.py": f'VERSION = "{version}"\n'.encode(),
        f"{stem}.dist-info/METADATA": meta,
        f"{stem}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: cargohold-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    if payload:
        files[f"{module}/payload.bin"] = payload
    record = "".join(f"{path},,\n" for path in files) + f"{stem}.dist-info/RECORD,,\n"
    files[f"{stem}.dist-info/RECORD"] = record.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0)), data)
    return Dist(
        filename or f"{stem}-py3-none-any.whl",
        buffer.getvalue(),
        "bdist_wheel",
        name,
        version,
        meta,
    )


def sdist(name: str, version: str, *, meta_name: str | None = None) -> Dist:
    """An sdist whose pyproject.toml builds with setuptools."""
    module = _module(name)
    top = f"{module}-{version}"
    meta = metadata(meta_name or name, version)
    files = {
        f"{top}/PKG-INFO": meta,
        f"{top}/pyproject.toml": (
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
            '[build-system]\nrequires = ["setuptools"]\n'
            'build-backend = "setuptools.build_meta"\n'
        ).encode(),
        f"{top}/{module}/__init__.py": f'VERSION = "{version}"\n'.encode(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return Dist(f"{top}.tar.gz", buffer.getvalue(), "sdist", name, version, meta)


def form(dist: Dist, **overrides: str) -> dict[str, str]:
    """The fields twine sends with a file (``content`` goes as a file part)."""
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": dist.name,
        "version": dist.version,
        "filetype": dist.filetype,
        "pyversion": "py3" if dist.filetype == "bdist_wheel" else "source",
        "summary": "a test",
        "md5_digest": dist.md5,
        "sha256_digest": dist.sha256,
        "blake2_256_digest": hashlib.blake2b(dist.data, digest_size=32).hexdigest(),
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v != ""}


__all__ = ["Dist", "form", "metadata", "sdist", "wheel"]
