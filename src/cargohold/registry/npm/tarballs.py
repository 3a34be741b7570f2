"""What a package tarball says of itself: the ``package.json`` in its top directory (npm's
tarballs hold ``package/``; the client takes whatever the top directory is called), read as
a stream with bounds on the bytes inflated, the members looked at and the manifest's size,
so that a gzip bomb or a tarball of a million empty files costs a bounded amount of work."""

from __future__ import annotations

import gzip
import tarfile
import zlib
from typing import IO, Any

from cargohold.core.jsondoc import JsonLimits, JsonRejected, read_json

MAX_INFLATED = 1024 * 1024 * 1024  # bytes read from the gzip stream before giving up
MAX_MEMBERS = 100_000
MANIFEST_LIMITS = JsonLimits(max_bytes=4 * 1024 * 1024, max_depth=64)


class TarballUnreadable(ValueError):
    """The tarball is not a gzipped tar holding a readable ``package.json``."""


class _Bounded:
    """A reader that refuses to give more than ``limit`` bytes."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw = raw
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise TarballUnreadable(
                f"the tarball inflates past {MAX_INFLATED} bytes before its package.json"
            )
        return data


def read_package_json(path: str) -> dict[str, Any]:
    """The manifest of the tarball at ``path``; TarballUnreadable saying why when there is
    none to read."""
    try:
        with gzip.open(path, "rb") as inflated:
            bounded = _Bounded(inflated, MAX_INFLATED)  # type: ignore[arg-type]
            with tarfile.open(fileobj=bounded, mode="r|") as archive:  # type: ignore[call-overload]
                return _manifest(archive)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise TarballUnreadable(f"not a gzipped tarball: {exc}") from exc


def _manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    for count, member in enumerate(archive, 1):
        if count > MAX_MEMBERS:
            break
        parts = member.name.removeprefix("./").split("/")
        if len(parts) != 2 or parts[1] != "package.json" or not member.isfile():
            continue
        if member.size > MANIFEST_LIMITS.max_bytes:
            raise TarballUnreadable(
                f"{member.name} is {member.size} bytes; the limit is {MANIFEST_LIMITS.max_bytes}"
            )
        handle = archive.extractfile(member)
        if handle is None:
            continue
        try:
            value = read_json(handle.read(), MANIFEST_LIMITS)
        except JsonRejected as exc:
            raise TarballUnreadable(f"{member.name}: {exc.message}") from exc
        if not isinstance(value, dict):
            raise TarballUnreadable(f"{member.name} is not a JSON object")
        return value
    raise TarballUnreadable("the tarball holds no package/package.json")


__all__ = ["MAX_INFLATED", "TarballUnreadable", "read_package_json"]
