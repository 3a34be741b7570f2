"""The files inside an archive: zip (jar, war, ear, wheel), tar, compressed tar (npm tgz,
sdist), compressed single files, .deb (ar) and .rpm (cpio payload). Told apart by magic bytes
first, the file name second. Links never lead out of an archive; absolute and ``..`` paths,
bombs and files over the limits are skipped with a reason in the budget."""

from __future__ import annotations

import contextlib
import stat
import tarfile
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import BinaryIO

import rpmfile
import zstandard
from rpmfile.errors import RPMError

from cargohold.analysis.model import NESTED, FileEntry
from cargohold.analysis.unpack.compression import compression_of, decompressing
from cargohold.analysis.unpack.entries import SliceEntry, ZipMemberEntry, open_entry, spool
from cargohold.analysis.unpack.limits import Budget
from cargohold.analysis.unpack.paths import inside, why_not_inside

# Bytes of a file to read to tell its kind: the tar magic sits at offset 257.
HEAD_BYTES = 512

_ZIP_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".whl", ".egg", ".aar", ".nupkg", ".hpi")
_TAR_SUFFIXES = (".tar", ".tgz", ".tbz2", ".txz", ".tzst")
_COMPRESSED_SUFFIXES = (".gz", ".xz", ".zst", ".bz2", ".tgz", ".txz", ".tzst", ".tbz2")
_RPM_MAGIC = b"\xed\xab\xee\xdb"
_AR_MAGIC = b"!<arch>\n"

# What a damaged or hostile archive raises while it is read.
_UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    tarfile.TarError,
    zipfile.BadZipFile,
    RPMError,
    zstandard.ZstdError,
)


def _is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def kind_of(head: bytes, path: str) -> str | None:
    """``zip``, ``tar``, ``compressed``, ``deb``, ``rpm``, or None when it is no archive."""
    name = path.lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(_RPM_MAGIC):
        return "rpm"
    if head.startswith(_AR_MAGIC) and (
        head[8:24].startswith(b"debian-binary") or name.endswith((".deb", ".udeb"))
    ):
        return "deb"
    if compression_of(head):
        return "compressed"
    if _is_tar(head):
        return "tar"
    # The name second: executable jars start with a launch script, old tars have no magic.
    if name.endswith(_ZIP_SUFFIXES):
        return "zip"
    if name.endswith(".tar"):
        return "tar"
    return None


def members(
    entry: FileEntry, kind: str, tmp_dir: Path, budget: Budget
) -> Generator[FileEntry, None, None]:
    """The regular files directly inside ``entry``, an archive of ``kind`` (see ``kind_of``).
    Each one is readable until the next is produced; spools are deleted when the iterator
    ends or is closed."""
    if not budget.entry_fits(entry.evidence, entry.size):
        return
    with contextlib.ExitStack() as cleanup:
        try:
            located = _on_disk(entry, tmp_dir, budget, cleanup)
            if located is None:
                return
            spool_path, offset, size = located
            if kind == "zip":
                yield from _zip(entry, spool_path, offset, size, budget)
            elif kind == "tar":
                yield from _tar(entry.evidence, spool_path, offset, size, budget)
            elif kind == "compressed":
                yield from _compressed(entry, spool_path, offset, size, tmp_dir, budget, cleanup)
            elif kind == "deb":
                yield from _ar(entry.evidence, spool_path, offset, size, budget)
            elif kind == "rpm":
                yield from _rpm(entry.evidence, spool_path, offset, size, tmp_dir, budget, cleanup)
        except _UNREADABLE as exc:
            budget.note(f"{entry.evidence}: not a readable {kind} archive ({exc}): not searched")


def _on_disk(
    entry: FileEntry, tmp_dir: Path, budget: Budget, cleanup: contextlib.ExitStack
) -> tuple[Path, int, int] | None:
    """Where the bytes of ``entry`` are on disk (file, offset, size), spooling it if needed."""
    if isinstance(entry, SliceEntry):
        return entry.spool, entry.offset, entry.size
    packed = entry.info.compress_size if isinstance(entry, ZipMemberEntry) else entry.size
    with open_entry(entry) as stream:
        path = spool(stream, tmp_dir, entry.evidence, budget, packed=packed, one_file=True)
    if path is None:
        return None
    cleanup.callback(path.unlink, missing_ok=True)
    return path, 0, path.stat().st_size


def _window(path: Path, offset: int, size: int) -> BinaryIO:
    return SliceEntry("", "", size, 0, path, offset, size).open()


def _zip(
    entry: FileEntry, path: Path, offset: int, size: int, budget: Budget
) -> Iterator[FileEntry]:
    outer = entry.evidence
    limits = budget.limits
    with _window(path, offset, size) as raw, zipfile.ZipFile(raw) as archive:
        infos = archive.infolist()
        declared = sum(info.file_size for info in infos)
        if not budget.ratio_ok(outer, declared, size):
            return
        for info in infos:
            kind = (info.external_attr >> 16) & 0o170000
            if info.is_dir() or kind not in (0, stat.S_IFREG):
                continue  # directories, and links, which are never followed
            evidence = outer + NESTED + info.filename
            name = inside(info.filename)
            if name is None:
                budget.note(why_not_inside(outer, info.filename))
                continue
            if info.flag_bits & 0x1:
                budget.note(f"{evidence} is encrypted: not searched")
                continue
            if not (
                budget.entry_fits(evidence, info.file_size)
                and budget.ratio_ok(evidence, info.file_size, info.compress_size)
                and budget.take_bytes(evidence, info.file_size)
            ):
                continue
            mode = (info.external_attr >> 16) & 0o7777
            yield ZipMemberEntry(
                name, outer + NESTED + name, info.file_size, mode, archive, info,
                limits.max_entry_bytes,
            )  # fmt: skip


def _tar(evidence: str, path: Path, offset: int, size: int, budget: Budget) -> Iterator[FileEntry]:
    max_bytes = budget.limits.max_entry_bytes
    files: dict[str, SliceEntry] = {}
    with _window(path, offset, size) as raw, tarfile.open(fileobj=raw, mode="r:") as archive:
        for member in archive:
            if not (member.isreg() or member.islnk()):
                continue  # directories, devices, and symlinks, which are never followed
            name = inside(member.name)
            if name is None:
                budget.note(why_not_inside(evidence, member.name))
                continue
            if not name:
                continue
            if member.islnk():
                target = inside(member.linkname)
                found = files.get(target) if target is not None else None
                if found is None:
                    budget.note(
                        f"{evidence}{NESTED}{name}: hard link to {member.linkname!r}, "
                        "which is not a file earlier in the archive: skipped"
                    )
                    continue
                found_entry = SliceEntry(
                    name, evidence + NESTED + name, found.size, member.mode, path,
                    found.offset, max_bytes,
                )  # fmt: skip
                yield found_entry
                continue
            if member.issparse():
                budget.note(f"{evidence}{NESTED}{name} is a sparse file: not searched")
                continue
            file = SliceEntry(
                name, evidence + NESTED + name, member.size, member.mode, path,
                offset + member.offset_data, max_bytes,
            )  # fmt: skip
            files[name] = file
            yield file


def _compressed(
    entry: FileEntry,
    path: Path,
    offset: int,
    size: int,
    tmp_dir: Path,
    budget: Budget,
    cleanup: contextlib.ExitStack,
) -> Iterator[FileEntry]:
    """A compressed tar (``x.tar.gz!/inner``) or a compressed single file (``x.gz!/x``)."""
    with _window(path, offset, size) as raw:
        kind = compression_of(raw.read(8))
        raw.seek(0)
        if kind is None:
            return
        with decompressing(raw, kind) as plain:
            unpacked = spool(plain, tmp_dir, entry.evidence, budget, packed=size, one_file=False)
    if unpacked is None:
        return
    cleanup.callback(unpacked.unlink, missing_ok=True)
    unpacked_size = unpacked.stat().st_size
    with unpacked.open("rb") as head_file:
        head = head_file.read(HEAD_BYTES)
    lower = entry.path.lower()
    if _is_tar(head) or lower.endswith(_TAR_SUFFIXES) or ".tar." in lower.rsplit("/", 1)[-1]:
        yield from _tar(entry.evidence, unpacked, 0, unpacked_size, budget)
        return
    if not budget.entry_fits(entry.evidence, unpacked_size):
        return
    base = entry.path.rsplit("/", 1)[-1]
    for suffix in _COMPRESSED_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    inner = base or "content"
    yield SliceEntry(
        inner, entry.evidence + NESTED + inner, unpacked_size, entry.mode, unpacked, 0,
        budget.limits.max_entry_bytes,
    )  # fmt: skip


def _ar(evidence: str, path: Path, offset: int, size: int, budget: Budget) -> Iterator[FileEntry]:
    """The members of a .deb: debian-binary, control.tar.*, data.tar.*."""
    max_bytes = budget.limits.max_entry_bytes
    with _window(path, offset, size) as raw:
        if raw.read(8) != _AR_MAGIC:
            raise ValueError("no ar magic")
        position = 8
        while header := raw.read(60):
            if len(header) < 60 or header[58:60] != b"`\n":
                raise ValueError(f"bad ar member header at {position}")
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            member_size = int(header[48:58].decode("ascii").strip() or "0")
            data_at = position + 60
            if data_at + member_size > size:
                raise ValueError(f"ar member {name!r} runs past the end")
            safe = inside(name)
            if safe is None or "/" in safe:
                budget.note(why_not_inside(evidence, name))
            elif safe:
                yield SliceEntry(
                    safe, evidence + NESTED + safe, member_size, 0o644, path,
                    offset + data_at, max_bytes,
                )  # fmt: skip
            position = data_at + member_size + (member_size % 2)
            raw.seek(position)


_CPIO_HEADER = 110


def _rpm(
    evidence: str,
    path: Path,
    offset: int,
    size: int,
    tmp_dir: Path,
    budget: Budget,
    cleanup: contextlib.ExitStack,
) -> Iterator[FileEntry]:
    """The files of an rpm's payload: a cpio (newc), usually compressed."""
    with _window(path, offset, size) as raw:
        with rpmfile.RPMFile(fileobj=raw) as package:
            data_offset = int(package.data_offset)
        payload_size = size - data_offset
        raw.seek(data_offset)
        kind = compression_of(raw.read(8))
        raw.seek(data_offset)
        if kind is None:
            cpio, cpio_offset, cpio_size = path, offset + data_offset, payload_size
        else:
            payload = _window(path, offset + data_offset, payload_size)
            with payload, decompressing(payload, kind) as plain:
                unpacked = spool(
                    plain, tmp_dir, evidence, budget, packed=payload_size, one_file=False
                )
            if unpacked is None:
                return
            cleanup.callback(unpacked.unlink, missing_ok=True)
            cpio, cpio_offset, cpio_size = unpacked, 0, unpacked.stat().st_size
    yield from _cpio(evidence, cpio, cpio_offset, cpio_size, budget)


def _cpio(evidence: str, path: Path, offset: int, size: int, budget: Budget) -> Iterator[FileEntry]:
    max_bytes = budget.limits.max_entry_bytes
    with _window(path, offset, size) as raw:
        position = 0
        while position + _CPIO_HEADER <= size:
            raw.seek(position)
            header = raw.read(_CPIO_HEADER)
            if header[:6] not in (b"070701", b"070702"):
                raise ValueError(f"bad cpio header at {position}")
            fields = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
            mode, file_size, name_size = fields[1], fields[6], fields[11]
            name_at = position + _CPIO_HEADER
            raw.seek(name_at)
            name = raw.read(name_size).rstrip(b"\x00").decode("utf-8", "replace")
            data_at = name_at + name_size
            data_at += -data_at % 4
            position = data_at + file_size
            position += -position % 4
            if name == "TRAILER!!!":
                return
            if not stat.S_ISREG(mode) or file_size == 0:
                continue  # directories, links (never followed), hard-link placeholders
            safe = inside(name)
            if safe is None:
                budget.note(why_not_inside(evidence, name))
                continue
            yield SliceEntry(
                safe, evidence + NESTED + safe, file_size, mode & 0o7777, path,
                offset + data_at, max_bytes,
            )  # fmt: skip


__all__ = ["HEAD_BYTES", "kind_of", "members"]
