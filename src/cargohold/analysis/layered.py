"""An image's inventory made from one index per layer, so a layer shared by many images is
unpacked and cataloged once.

A layer is indexed on its own: the components its files hold, the paths it adds and the
whiteouts it carries. ``squash`` then replays the layers' paths and whiteouts in order — no
blob is read — and keeps a component when the file it was found in (the first path of its
evidence) is the one a container sees at that path. What a later layer deleted or replaced
is kept apart, for the all-layers view.

Within one layer, a hard link to a file of a lower layer cannot be followed; it is noted as a
reason, like any other file that was not searched.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from cargohold.analysis.model import NESTED, Cataloger, Component, Inventory
from cargohold.analysis.unpack.entries import SliceEntry
from cargohold.analysis.unpack.image_archive import ImageArchiveError, open_image_archive
from cargohold.analysis.unpack.layers import Layer, apply_layers
from cargohold.analysis.unpack.limits import Budget, Limits
from cargohold.analysis.unpack.walk import walk

FORMAT = 1  # of the serialized LayerIndex; part of the cache key


@dataclass(frozen=True, slots=True)
class LayerIndex:
    digest: str
    components: tuple[Component, ...]
    paths: tuple[str, ...]  # the regular files and links the layer adds
    whiteouts: tuple[tuple[str, bool], ...]  # (path, opaque) it deletes from lower layers
    incomplete: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Squashed:
    """What a container sees (``visible``), and what lower layers hold that a later layer
    deleted or replaced (``hidden``)."""

    visible: Inventory
    hidden: tuple[Component, ...]


class LayerCache(Protocol):
    """Where layer indexes are kept between scans (the metadata database)."""

    def get(self, digest: str) -> LayerIndex | None: ...

    def put(self, index: LayerIndex) -> None: ...


def cache_key(catalogers: Sequence[Cataloger], limits: Limits) -> str:
    """What a stored result depends on: every cataloger's name and version, and the limits.
    A cataloger that changes its version makes every layer be indexed again."""
    parts = [f"format={FORMAT}", *(f"{c.name}={c.version}" for c in catalogers)]
    parts.append(json.dumps(asdict(limits), sort_keys=True))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def index_layer(
    layer: Layer, catalogers: Sequence[Cataloger], limits: Limits, tmp_dir: Path
) -> LayerIndex:
    budget = Budget(limits)
    with apply_layers([layer], tmp_dir, budget) as view:
        files = list(view.files())
        paths = sorted({f.path for f in files} | {s.path for s in view.symlinks()})
        inventory = walk(files, catalogers, limits, tmp_dir=tmp_dir, budget=budget)
        whiteouts = tuple((w.path, w.opaque) for w in view.whiteouts)
    return LayerIndex(layer.digest, inventory.components, tuple(paths), whiteouts, budget.reasons)


def index_file(
    path: Path,
    name: str,
    digest: str,
    catalogers: Sequence[Cataloger],
    limits: Limits,
    tmp_dir: Path,
) -> Inventory:
    """The inventory of one file (a jar, a wheel, a .deb, a tarball…) stored at ``path``,
    named ``name`` for the catalogers' patterns; evidence paths start at ``digest``."""
    entry = SliceEntry(name, digest, path.stat().st_size, 0o644, path, 0, limits.max_entry_bytes)
    return walk([entry], catalogers, limits, tmp_dir=tmp_dir)


def index_image(
    layers: Sequence[Layer],
    catalogers: Sequence[Cataloger],
    limits: Limits,
    tmp_dir: Path,
    cache: LayerCache,
) -> Squashed:
    """An image's inventory from its layers, each indexed once: from ``cache`` when it is
    there, else unpacked, cataloged and put there. Layers are read one after another."""
    indexes: list[LayerIndex] = []
    for layer in layers:
        index = cache.get(layer.digest)
        if index is None:
            index = index_layer(layer, catalogers, limits, tmp_dir)
            cache.put(index)
        indexes.append(index)
    return squash(indexes)


def index_file_or_image(
    path: Path,
    name: str,
    digest: str,
    catalogers: Sequence[Cataloger],
    limits: Limits,
    tmp_dir: Path,
    cache: LayerCache,
) -> Squashed:
    """A file's inventory; an OCI layout or docker-archive tarball is analysed as the images
    it holds (evidence ``<file digest>!/<manifest digest>!/<layer digest>!/…``)."""
    budget = Budget(limits)
    try:
        archive = open_image_archive(path, budget, evidence=digest)
    except ImageArchiveError as exc:
        budget.note(f"{exc}: searched as a plain tar, not as an image")
        archive = None
    if archive is None:
        inventory = index_file(path, name, digest, catalogers, limits, tmp_dir)
        reasons = (*budget.reasons, *inventory.incomplete)
        return Squashed(Inventory(inventory.components, tuple(dict.fromkeys(reasons))), ())
    visible: list[Component] = []
    hidden: list[Component] = []
    reasons_seen: dict[str, None] = dict.fromkeys(budget.reasons)
    with archive:
        for image in archive.images:
            squashed = index_image(image.layers, catalogers, limits, tmp_dir, cache)
            prefix = digest + NESTED + (f"{image.digest}{NESTED}" if image.digest else "")
            visible += [
                replace(c, evidence=prefix + c.evidence) for c in squashed.visible.components
            ]
            hidden += [replace(c, evidence=prefix + c.evidence) for c in squashed.hidden]
            reasons_seen.update(dict.fromkeys(squashed.visible.incomplete))
    return Squashed(Inventory(tuple(visible), tuple(reasons_seen)), tuple(hidden))


def squash(indexes: Sequence[LayerIndex]) -> Squashed:
    owner: dict[str, int] = {}  # path → the layer whose file a container sees there
    for position, index in enumerate(indexes):
        for path, opaque in index.whiteouts:
            prefix = f"{path}/" if path else ""
            if not opaque:
                owner.pop(path, None)
            for doomed in [p for p in owner if p.startswith(prefix)]:
                del owner[doomed]
        for path in index.paths:
            owner[path] = position
    visible: list[Component] = []
    hidden: list[Component] = []
    reasons: dict[str, None] = {}
    for position, index in enumerate(indexes):
        reasons.update(dict.fromkeys(index.incomplete))
        for component in index.components:
            top = component.evidence.split(NESTED, 2)[1:2]
            seen = bool(top) and owner.get(top[0]) == position
            (visible if seen else hidden).append(component)
    return Squashed(Inventory(tuple(visible), tuple(reasons)), tuple(hidden))


def encode(index: LayerIndex) -> bytes:
    doc = {
        "format": FORMAT,
        "digest": index.digest,
        "components": [component_doc(c) for c in index.components],
        "paths": list(index.paths),
        "whiteouts": [[path, opaque] for path, opaque in index.whiteouts],
        "incomplete": list(index.incomplete),
    }
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


def decode(data: bytes) -> LayerIndex:
    doc = json.loads(zlib.decompress(data))
    return LayerIndex(
        digest=doc["digest"],
        components=tuple(component_from(c) for c in doc["components"]),
        paths=tuple(doc["paths"]),
        whiteouts=tuple((path, bool(opaque)) for path, opaque in doc["whiteouts"]),
        incomplete=tuple(doc["incomplete"]),
    )


def component_doc(component: Component) -> dict[str, Any]:
    doc = asdict(component)
    doc["licenses"] = list(component.licenses)
    return doc


def component_from(doc: dict[str, Any]) -> Component:
    return Component(**{**doc, "licenses": tuple(doc.get("licenses", ()))})


__all__ = [
    "LayerCache",
    "LayerIndex",
    "Squashed",
    "cache_key",
    "component_doc",
    "component_from",
    "decode",
    "encode",
    "index_file",
    "index_file_or_image",
    "index_image",
    "index_layer",
    "squash",
]
