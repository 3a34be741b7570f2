"""Files as catalogers see them (FileEntry implementations), read lazily from a spool on disk
or from an open zip, and the bounded copy that makes those spools."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from cargohold.analysis.model import FileEntry, TooLarge
from cargohold.analysis.unpack.limits import Budget

_CHUNK = 1 << 20


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``size`` bytes at ``offset`` of an open file; it owns
    the file and closes it."""

    def __init__(self, file: BinaryIO, offset: int, size: int) -> None:
        super().__init__()
        self._file, self._offset, self._size, self._pos = file, offset, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        self._file.seek(self._offset + self._pos)
        data = self._file.read(n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def _read(entry: StreamEntry, limit: int | None) -> bytes:
    if limit is None and entry.size > entry.max_bytes:
        raise TooLarge(f"{entry.evidence} is {entry.size} bytes, over {entry.max_bytes}")
    want = entry.size if limit is None else min(limit, entry.size)
    with entry.open() as stream:
        return stream.read(want)


@dataclass(frozen=True, slots=True)
class SliceEntry:
    """A file stored as ``size`` bytes at ``offset`` of a spool file (a tar, an ar, a cpio)."""

    path: str
    evidence: str
    size: int
    mode: int
    spool: Path
    offset: int
    max_bytes: int

    def open(self) -> BinaryIO:
        window = _Window(self.spool.open("rb"), self.offset, self.size)
        return cast(BinaryIO, io.BufferedReader(window))

    def read(self, limit: int | None = None) -> bytes:
        return _read(self, limit)


@dataclass(frozen=True, slots=True)
class ZipMemberEntry:
    """A member of a zip, decompressed each time it is read; valid while the zip is open."""

    path: str
    evidence: str
    size: int
    mode: int
    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    max_bytes: int

    def open(self) -> BinaryIO:
        return cast(BinaryIO, self.archive.open(self.info))

    def read(self, limit: int | None = None) -> bytes:
        return _read(self, limit)


StreamEntry = SliceEntry | ZipMemberEntry


def open_entry(entry: FileEntry) -> BinaryIO:
    """A stream of the content of any FileEntry (ours stream; others are read whole, which
    their own size limit bounds)."""
    if isinstance(entry, SliceEntry | ZipMemberEntry):
        return entry.open()
    return io.BytesIO(entry.read())


def spool(
    source: BinaryIO,
    tmp_dir: Path,
    evidence: str,
    budget: Budget,
    *,
    packed: int,
    one_file: bool,
) -> Path | None:
    """Copy ``source`` into a new file in ``tmp_dir``, counting the bytes against the budget.
    ``packed`` is how many bytes it came from (for the bomb check); ``one_file`` holds it to
    the size limit of one file (a whole layer is held only to the total). None, with the
    reason in ``budget``, when a limit stops it; else the caller deletes the file."""
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="spool-")
    path = Path(name)
    written = 0
    ok = True
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            out.write(chunk)
            ok = (
                budget.ratio_ok(evidence, written, packed)
                and (not one_file or budget.entry_fits(evidence, written))
                and budget.take_bytes(evidence, len(chunk))
            )
            if not ok:
                break
    if not ok:
        path.unlink(missing_ok=True)
        return None
    return path


__all__ = ["SliceEntry", "StreamEntry", "ZipMemberEntry", "open_entry", "spool"]
