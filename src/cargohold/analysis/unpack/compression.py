"""Single-stream compressions, told apart by their magic bytes, never by a name or media type."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from typing import BinaryIO, cast

import zstandard

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
)

# Longest magic above: read at least this many bytes before calling ``compression_of``.
MAGIC_BYTES = 6


def compression_of(head: bytes) -> str | None:
    """``gzip``, ``xz``, ``zstd``, ``bzip2`` or None for bytes that are not compressed."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


class _Replay(io.RawIOBase):
    """``head`` (already read from ``rest``) followed by the rest of ``rest``."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def sniffed(raw: BinaryIO) -> tuple[str | None, BinaryIO]:
    """The compression of ``raw`` (a stream that need not seek), and a stream of all its bytes."""
    head = raw.read(MAGIC_BYTES)
    return compression_of(head), cast(BinaryIO, io.BufferedReader(_Replay(head, raw)))


def decompressing(raw: BinaryIO, kind: str) -> BinaryIO:
    """A stream of the decompressed bytes of ``raw``; closing it does not close ``raw``."""
    if kind == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
    if kind == "xz":
        return cast(BinaryIO, lzma.LZMAFile(raw))
    if kind == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(raw))
    if kind == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=False
        )
        return cast(BinaryIO, reader)
    raise ValueError(f"unknown compression {kind!r}")


__all__ = ["MAGIC_BYTES", "compression_of", "decompressing", "sniffed"]
