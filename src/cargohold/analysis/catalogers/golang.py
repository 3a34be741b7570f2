"""Go binaries: the build information the Go toolchain embeds in every ELF executable (the
``\\xff Go buildinf:`` blob): the Go version (reported as the ``stdlib`` module, the name OSV's
Go advisories use), the main module and every dependency module.

Two layouts exist: Go ≥ 1.18 writes both strings inline after the 32-byte header (flag bit
2); older toolchains write two pointers to Go string headers, resolved through the ELF
program headers.

Versions are reported as the build information records them. A module built from a source
tree rather than a published version is ``(devel)``, Go's own word for "no version": the
main module of a plain ``go build``, and a dependency replaced by a local directory
(``replace example.com/dep => ./dep``). Such a dependency keeps its module path — the
directory is not a module path — with the version ``(devel)``: the code compiled in is the
local copy, not the published version ``go.mod`` requires, so an advisory on that module
is "undecided" for it, never "not affected". A dependency replaced by another module is
that module, at its version."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from packageurl import PackageURL

from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "go"

_MAGIC = b"\xff Go buildinf:"
_HEADER = 32
_INLINE = 0x2
_BIG_ENDIAN = 0x1
_PT_LOAD = 1


@dataclass(frozen=True, slots=True)
class BuildInfo:
    go_version: str  # "go1.21.5"
    main: tuple[str, str] | None  # (path, version) of the main module
    deps: tuple[tuple[str, str], ...]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _inline_strings(data: bytes, at: int) -> tuple[str, str]:
    length, at = _varint(data, at)
    version = data[at : at + length]
    at += length
    length, at = _varint(data, at)
    return version.decode("utf-8", "replace"), data[at : at + length].decode("utf-8", "replace")


class _Elf:
    """Just enough ELF to map virtual addresses to file offsets."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.wide = data[4] == 2  # ELFCLASS64
        self.order = ">" if data[5] == 2 else "<"  # ELFDATA2MSB
        if self.wide:
            (phoff,) = struct.unpack_from(self.order + "Q", data, 0x20)
            phentsize, phnum = struct.unpack_from(self.order + "HH", data, 0x36)
        else:
            (phoff,) = struct.unpack_from(self.order + "I", data, 0x1C)
            phentsize, phnum = struct.unpack_from(self.order + "HH", data, 0x2A)
        self.loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        for index in range(phnum):
            at = phoff + index * phentsize
            if self.wide:
                kind, _, offset, vaddr, _, filesz = struct.unpack_from(
                    self.order + "IIQQQQ", data, at
                )
            else:
                kind, offset, vaddr, _, filesz = struct.unpack_from(self.order + "IIIII", data, at)
            if kind == _PT_LOAD:
                self.loads.append((vaddr, offset, filesz))

    def offset(self, address: int) -> int | None:
        for vaddr, offset, filesz in self.loads:
            if vaddr <= address < vaddr + filesz:
                return offset + address - vaddr
        return None

    def pointer(self, at: int, size: int, order: str) -> int:
        return int(struct.unpack_from(order + ("Q" if size == 8 else "I"), self.data, at)[0])

    def go_string(self, address: int, size: int, order: str) -> str:
        """A Go string header (data pointer, length) at ``address``."""
        at = self.offset(address)
        if at is None:
            return ""
        data_address, length = self.pointer(at, size, order), self.pointer(at + size, size, order)
        start = self.offset(data_address)
        if start is None:
            return ""
        return self.data[start : start + length].decode("utf-8", "replace")


def _strip_sentinels(modinfo: str) -> str:
    # cmd/go wraps the module information in 16-byte sentinels.
    if len(modinfo) >= 33 and modinfo[-17] == "\n":
        return modinfo[16:-16]
    return modinfo


def _is_directory(path: str) -> bool:
    """A replacement by a file system path (``./dep``, ``../fork``, ``/src/x``, ``C:\\x``)
    rather than by a module path: the test of Go's ``modfile.IsDirectoryPath``."""
    return (
        path in (".", "..")
        or path.startswith(("./", ".\\", "../", "..\\", "/", "\\"))
        or (len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":")
    )


def build_info(data: bytes) -> BuildInfo | None:
    """The build information of a Go ELF binary, or None for any other file."""
    at = data.find(_MAGIC)
    if at < 0 or len(data) < at + _HEADER:
        return None
    size, flags = data[at + 14], data[at + 15]
    if flags & _INLINE:
        version, modinfo = _inline_strings(data, at + _HEADER)
    else:
        try:
            elf = _Elf(data)
        except struct.error:
            return None
        order = ">" if flags & _BIG_ENDIAN else "<"
        version = elf.go_string(elf.pointer(at + 16, size, order), size, order)
        modinfo = elf.go_string(elf.pointer(at + 16 + size, size, order), size, order)
    if not version.startswith("go"):
        return None
    main: tuple[str, str] | None = None
    deps: list[tuple[str, str]] = []
    for line in _strip_sentinels(modinfo).splitlines():
        kind, _, rest = line.partition("\t")
        fields = rest.split("\t")
        if kind == "mod" and len(fields) >= 2:
            main = (fields[0], fields[1])
        elif kind == "dep" and len(fields) >= 2:
            deps.append((fields[0], fields[1]))
        elif kind == "=>" and len(fields) >= 2 and deps:
            # The replacement is what was compiled in; a local directory keeps the module path.
            path = deps[-1][0] if _is_directory(fields[0]) else fields[0]
            deps[-1] = (path, fields[1])
    return BuildInfo(go_version=version, main=main, deps=tuple(deps))


def _component(path: str, version: str, evidence: str) -> Component:
    namespace, _, name = path.rpartition("/")
    purl = PackageURL(
        type="golang", namespace=namespace or None, name=name, version=version or None
    )
    return Component(
        name=path,
        version=version,
        ecosystem="Go",
        purl=purl.to_string(),
        cataloger=NAME,
        evidence=evidence,
    )


def parse(entry: FileEntry) -> Iterator[Component]:
    info = build_info(entry.read())
    if info is None:
        return
    # OSV names the toolchain "stdlib", its versions without the "go" prefix ("1.21.5");
    # pre-releases such as "go1.22rc1" are kept as written after the prefix.
    stdlib = info.go_version.removeprefix("go").split(" ", 1)[0]
    yield _component("stdlib", stdlib, entry.evidence)
    # A binary built outside module mode (GOPATH, as Debian builds) names no main module.
    if info.main is not None:
        yield _component(*info.main, evidence=entry.evidence)
    for path, version in info.deps:
        yield _component(path, version, entry.evidence)


CATALOGER = Cataloger(name=NAME, version="2", patterns=(), parse=parse, magic=b"\x7fELF")
