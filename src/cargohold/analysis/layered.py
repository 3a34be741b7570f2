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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cargohold.analysis.model import NESTED, Cataloger, Component, Inventory
from cargohold.analysis.unpack.entries import SliceEntry
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
    "LayerIndex",
    "Squashed",
    "cache_key",
    "component_doc",
    "component_from",
    "decode",
    "encode",
    "index_file",
    "index_layer",
    "squash",
]
