"""Image layers applied in order into the file tree a container sees, with OCI whiteouts
(``.wh.NAME``) and opaque directories (``.wh..wh..opq``). Each layer is decompressed once into
a spool in the temp dir; files are read from there lazily, never held in memory. Links are
recorded, never followed: a hard link is the file it names inside the image, a symlink is
kept as its target string."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cargohold.analysis.model import NESTED
from cargohold.analysis.unpack.compression import decompressing, sniffed
from cargohold.analysis.unpack.entries import SliceEntry, spool
from cargohold.analysis.unpack.limits import Budget
from cargohold.analysis.unpack.paths import inside

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer blob as stored: compressed or not, told by its magic bytes."""

    digest: str
    size: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True, slots=True)
class LayerFile:
    """A regular file of one layer, and whether a container still sees it."""

    entry: SliceEntry
    layer: str
    visible: bool


@dataclass(slots=True)
class _Dir:
    children: dict[str, _Node] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Symlink:
    path: str
    target: str
    layer: str


_Node = _Dir | SliceEntry | Symlink


@dataclass(frozen=True, slots=True)
class Whiteout:
    """What a layer deletes from the layers below it: the path, or (``opaque``) everything
    inside the directory at ``path``."""

    layer: str
    path: str
    opaque: bool


class ImageView:
    """The layers of one image applied in order. ``files()`` is what a container sees;
    ``all_layers()`` is every file of every layer, deleted ones included."""

    def __init__(
        self,
        root: _Dir,
        layer_files: list[SliceEntry],
        spools: list[Path],
        whiteouts: list[Whiteout],
    ) -> None:
        self._root = root
        self._layer_files = layer_files
        self._spools = spools
        self.whiteouts = whiteouts  # every layer's, lowest layer first

    def files(self) -> Iterator[SliceEntry]:
        """The regular files a container sees, in path order."""
        for node in self._walk(self._root):
            if isinstance(node, SliceEntry):
                yield node

    def symlinks(self) -> Iterator[Symlink]:
        for node in self._walk(self._root):
            if isinstance(node, Symlink):
                yield node

    def all_layers(self) -> Iterator[LayerFile]:
        """Every regular file of every layer, lowest layer first, flagged ``visible`` when it
        is the one a container sees at that path."""
        visible = {id(entry) for entry in self.files()}
        for entry in self._layer_files:
            layer = entry.evidence.split(NESTED, 1)[0]
            yield LayerFile(entry, layer, id(entry) in visible)

    def close(self) -> None:
        """Delete the layer spools; entries are unreadable afterwards."""
        for path in self._spools:
            path.unlink(missing_ok=True)

    def __enter__(self) -> ImageView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _walk(directory: _Dir) -> Iterator[_Node]:
        for name in sorted(directory.children):
            node = directory.children[name]
            yield node
            if isinstance(node, _Dir):
                yield from ImageView._walk(node)


def apply_layers(layers: Sequence[Layer], tmp_dir: Path, budget: Budget) -> ImageView:
    """Apply ``layers`` (lowest first). Problems (a path escaping the root, a layer over the
    limits, a layer that is not a tar) are reasons in ``budget``; the view is then partial."""
    root = _Dir()
    layer_files: list[SliceEntry] = []
    spools: list[Path] = []
    whiteouts: list[Whiteout] = []
    for layer in layers:
        path = _unpack(layer, tmp_dir, budget)
        if path is None:
            continue
        spools.append(path)
        try:
            with tarfile.open(path, mode="r:") as archive:
                members = archive.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            budget.note(f"layer {layer.digest} is not a readable tar ({exc}): not searched")
            continue
        _apply(layer.digest, members, path, root, layer_files, whiteouts, budget)
    return ImageView(root, layer_files, spools, whiteouts)


def _unpack(layer: Layer, tmp_dir: Path, budget: Budget) -> Path | None:
    with layer.open() as blob:
        kind, raw = sniffed(blob)
        if kind is None:
            return spool(raw, tmp_dir, layer.digest, budget, packed=layer.size, one_file=False)
        with decompressing(raw, kind) as plain:
            return spool(plain, tmp_dir, layer.digest, budget, packed=layer.size, one_file=False)


def _apply(
    digest: str,
    members: list[tarfile.TarInfo],
    spool_path: Path,
    root: _Dir,
    layer_files: list[SliceEntry],
    whiteouts: list[Whiteout],
    budget: Budget,
) -> None:
    named: list[tuple[str, tarfile.TarInfo]] = []
    for member in members:
        name = inside(member.name.lstrip("/"))
        if name is None:
            budget.note(
                f"layer {digest}: entry {member.name!r} escapes the root with '..': skipped"
            )
        elif name:
            named.append((name, member))
    # Whiteouts hide what lower layers hold, never what their own layer holds: apply first.
    for name, _ in named:
        parent, _, base = name.rpartition("/")
        if base == OPAQUE:
            whiteouts.append(Whiteout(digest, parent, opaque=True))
            directory = _lookup(root, parent)
            if isinstance(directory, _Dir):
                directory.children.clear()
        elif base.startswith(WHITEOUT):
            whiteouts.append(Whiteout(digest, _join(parent, base[len(WHITEOUT) :]), opaque=False))
            directory = _lookup(root, parent)
            if isinstance(directory, _Dir):
                directory.children.pop(base[len(WHITEOUT) :], None)
    this_layer: dict[str, SliceEntry] = {}
    max_bytes = budget.limits.max_entry_bytes
    for name, member in named:
        parent, _, base = name.rpartition("/")
        if base.startswith(WHITEOUT):
            continue
        evidence = digest + NESTED + name
        node: _Node
        if member.isdir():
            existing = _lookup(root, name)
            if isinstance(existing, _Dir):
                continue
            node = _Dir()
        elif member.isreg():
            if member.issparse():
                budget.note(f"{evidence} is a sparse file: not searched")
                continue
            node = SliceEntry(
                name, evidence, member.size, member.mode, spool_path, member.offset_data, max_bytes
            )
            this_layer[name] = node
            layer_files.append(node)
        elif member.issym():
            node = Symlink(name, member.linkname, digest)
        elif member.islnk():
            target = inside(member.linkname.lstrip("/"))
            found = this_layer.get(target) if target is not None else None
            if found is None and target is not None:
                lower = _lookup(root, target)
                found = lower if isinstance(lower, SliceEntry) else None
            if found is None:
                budget.note(
                    f"{evidence}: hard link to {member.linkname!r}, which is not a file "
                    "in the image: skipped"
                )
                continue
            node = SliceEntry(
                name, evidence, found.size, member.mode, found.spool, found.offset, max_bytes
            )
            this_layer[name] = node
            layer_files.append(node)
        else:
            continue  # devices and fifos hold nothing to catalog
        _directory(root, parent).children[base] = node


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _lookup(root: _Dir, path: str) -> _Node | None:
    node: _Node = root
    for part in path.split("/") if path else ():
        if not isinstance(node, _Dir):
            return None
        child = node.children.get(part)
        if child is None:
            return None
        node = child
    return node


def _directory(root: _Dir, path: str) -> _Dir:
    """The directory at ``path``, made (over whatever was there) when missing. A symlink on
    the way is replaced, not followed: links never lead anywhere."""
    node = root
    for part in path.split("/") if path else ():
        child = node.children.get(part)
        if not isinstance(child, _Dir):
            child = _Dir()
            node.children[part] = child
        node = child
    return node


__all__ = ["ImageView", "Layer", "LayerFile", "Symlink", "Whiteout", "apply_layers"]
