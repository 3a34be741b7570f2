"""``.deb`` files themselves: the ``control`` file inside the ar archive's control.tar
(uncompressed, gz, xz or zst)."""

from __future__ import annotations

import gzip
import io
import lzma
import os
import tarfile
import zlib
from collections.abc import Iterator

import zstandard

from cargohold.analysis.catalogers.debian_control import component, paragraphs
from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "deb-file"

_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60


def ar_members(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The (name, content) members of a Unix ar archive."""
    if not data.startswith(_AR_MAGIC):
        return
    at = len(_AR_MAGIC)
    while at + _AR_HEADER <= len(data):
        header = data[at : at + _AR_HEADER]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip() or 0)
        at += _AR_HEADER
        yield name, data[at : at + size]
        at += size + (size & 1)  # members are 2-byte aligned


def _decompress(name: str, content: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(content)
    if name.endswith(".xz"):
        return lzma.decompress(content)
    if name.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(content)
    return content


def control(data: bytes) -> str | None:
    """The text of a .deb's control file, or None when it is not a Debian package."""
    for name, content in ar_members(data):
        if name.startswith("control.tar"):
            with tarfile.open(fileobj=io.BytesIO(_decompress(name, content))) as tar:
                for member in tar.getmembers():
                    if member.isfile() and member.name.lstrip("./") == "control":
                        extracted = tar.extractfile(member)
                        if extracted is not None:
                            return extracted.read().decode("utf-8", errors="replace")
            return None
    return None


def control_at(path: str, limit: int) -> str | None:
    """The text of the control file of the .deb at ``path``, reading only its control
    member (the data member of a large package is skipped, not read); None when the file is
    not a Debian package. ValueError when the control member or its control file is larger
    than ``limit`` bytes (compressed or not), or is not what dpkg makes."""
    try:
        return _control_at(path, limit)
    except (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError) as exc:
        raise ValueError(f"its control member cannot be read: {exc}") from None
    except UnicodeDecodeError:
        raise ValueError("its control file is not UTF-8") from None


def _control_at(path: str, limit: int) -> str | None:
    with open(path, "rb") as handle:
        end = os.fstat(handle.fileno()).st_size
        if handle.read(len(_AR_MAGIC)) != _AR_MAGIC:
            return None
        while len(header := handle.read(_AR_HEADER)) == _AR_HEADER:
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            field = header[48:58].decode("ascii", "replace").strip()
            if not field.isdigit():
                raise ValueError(f"its ar member {name[:16]!r} has no size")
            size = int(field)
            if handle.tell() + size > end:
                raise ValueError(f"its ar member {name[:16]!r} runs past the end of the file")
            if not name.startswith("control.tar"):
                handle.seek(size + (size & 1), io.SEEK_CUR)
                continue
            if size > limit:
                raise ValueError(f"its control member is larger than {limit} bytes")
            unpacked = _bounded(name, handle.read(size), limit)
            # "r:": the member was decompressed above, within the limit; a tar that is itself
            # compressed again is not what dpkg makes.
            with tarfile.open(fileobj=io.BytesIO(unpacked), mode="r:") as tar:
                for member in tar:
                    if member.isfile() and member.name.lstrip("./") == "control":
                        extracted = tar.extractfile(member)
                        if extracted is not None:
                            return extracted.read(limit + 1)[:limit].decode("utf-8")
            raise ValueError("its control member holds no control file")
    return None


def _bounded(name: str, content: bytes, limit: int) -> bytes:
    """``content`` decompressed, refusing more than ``limit`` bytes (a decompression bomb)."""
    if name.endswith(".gz"):
        out = zlib.decompressobj(wbits=31).decompress(content, limit + 1)
    elif name.endswith(".xz"):
        out = lzma.LZMADecompressor().decompress(content, limit + 1)
    elif name.endswith(".zst"):
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(content))
        out = b""
        while len(out) <= limit and (piece := reader.read(limit + 1 - len(out))):
            out += piece
    else:
        out = content
    if len(out) > limit:
        raise ValueError(f"its control member unpacks to more than {limit} bytes")
    return out


def parse(entry: FileEntry) -> Iterator[Component]:
    try:
        text = control(entry.read())
    except (tarfile.TarError, OSError, EOFError, ValueError, lzma.LZMAError, zstandard.ZstdError):
        return
    if text is None:
        return
    for fields in paragraphs(text):
        if found := component(fields, NAME, entry.evidence):
            yield found
        return  # a control file describes one package


CATALOGER = Cataloger(name=NAME, version="1", patterns=("*.deb", "*.udeb"), parse=parse)
