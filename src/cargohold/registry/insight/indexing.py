"""Indexing: what an artifact holds, read from its blobs. An image is indexed layer by layer,
each layer's index kept under the cache key (the versions of the catalogers and the limits),
so a base layer shared by a thousand images is unpacked once; an index is the union of its
platform images; a generic file is cataloged as one file, or, when it is an OCI layout or
``docker save`` tarball, as the images it holds. Blobs the store keeps as files are read in
place; others are copied to scratch space first."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from anyio import to_thread

from cargohold.analysis.layered import (
    LayerIndex,
    decode,
    encode,
    index_file_or_image,
    index_layer,
    squash,
)
from cargohold.analysis.model import NESTED, Cataloger, Component, Inventory
from cargohold.analysis.unpack.layers import Layer
from cargohold.analysis.unpack.limits import Limits
from cargohold.core.digest import Digest
from cargohold.core.errors import BlobNotFound
from cargohold.core.manifest import Descriptor, Manifest, parse_manifest
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import IMAGE
from cargohold.records.insight import ScanRecord
from cargohold.storage.base import BlobStore

MAX_CHILDREN = 64  # platform manifests of one index that are indexed


def is_image_layer(media_type: str) -> bool:
    """A filesystem layer (a tar, compressed or not), as opposed to an artifact's file."""
    return "image.rootfs.diff.tar" in media_type or "image.layer.v1.tar" in media_type


class Indexer:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        clock: Callable[[], float],
        *,
        catalogers: Sequence[Cataloger],
        limits: Limits,
        cache_key: str,
        tmp_dir: Path | None,
    ) -> None:
        self._store = store
        self._meta = meta
        self._clock = clock
        self._catalogers = tuple(catalogers)
        self._limits = limits
        self.cache_key = cache_key
        self._tmp_dir = tmp_dir

    async def inventory(self, record: ScanRecord) -> tuple[Inventory, tuple[Component, ...]]:
        """What ``record``'s artifact holds: what a container sees (or the file holds), and
        what later layers deleted. Raises BlobNotFound or ValueError when it cannot be read."""
        return await self._inventory(record)

    async def _inventory(self, record: ScanRecord) -> tuple[Inventory, tuple[Component, ...]]:
        if record.kind == IMAGE:
            body = await self._read(record.digest)
            manifest = parse_manifest(body, None)
            if manifest.is_index:
                return await self._index(record.digest, manifest)
            return await self._image(manifest)
        return await self._file(record.digest, record.name)

    async def _index(
        self, digest: str, manifest: Manifest
    ) -> tuple[Inventory, tuple[Component, ...]]:
        visible: list[Component] = []
        hidden: list[Component] = []
        reasons: list[str] = []
        children = [
            d
            for d in manifest.manifests
            if d.media_type and not d.media_type.endswith("index.v1+json")
        ]
        if len(children) > MAX_CHILDREN:
            reasons.append(
                f"{digest} lists {len(children)} manifests: only the first {MAX_CHILDREN} searched"
            )
        for child in children[:MAX_CHILDREN]:
            try:
                body = await self._read(str(child.digest))
                inventory, gone = await self._image(parse_manifest(body, None))
            except (BlobNotFound, ValueError) as exc:
                reasons.append(f"{child.digest}: not searched ({exc})")
                continue
            prefix = f"{child.digest}{NESTED}"
            visible.extend(replace(c, evidence=prefix + c.evidence) for c in inventory.components)
            hidden.extend(replace(c, evidence=prefix + c.evidence) for c in gone)
            reasons.extend(inventory.incomplete)
        return Inventory(tuple(visible), tuple(dict.fromkeys(reasons))), tuple(hidden)

    async def _image(self, manifest: Manifest) -> tuple[Inventory, tuple[Component, ...]]:
        indexes: list[LayerIndex] = []
        files: list[Component] = []
        reasons: list[str] = []
        for layer in manifest.layers:
            if is_image_layer(layer.media_type):
                indexes.append(await self._layer(layer))
            else:
                name = layer.annotations.get("org.opencontainers.image.title") or str(layer.digest)
                inventory, _ = await self._file(str(layer.digest), name)
                files.extend(inventory.components)
                reasons.extend(inventory.incomplete)
        squashed = squash(indexes)
        inventory = Inventory(
            squashed.visible.components + tuple(files),
            tuple(dict.fromkeys([*squashed.visible.incomplete, *reasons])),
        )
        return inventory, squashed.hidden

    async def _layer(self, layer: Descriptor) -> LayerIndex:
        digest = str(layer.digest)
        cache = _MetaCache(self._meta, self.cache_key, self._clock)
        cached = await to_thread.run_sync(cache.get, digest)
        if cached is not None:
            return cached
        async with self._local(digest) as path:
            with self._scratch() as tmp:
                index = await to_thread.run_sync(
                    index_layer,
                    Layer(digest, layer.size, lambda: path.open("rb")),
                    self._catalogers,
                    self._limits,
                    tmp,
                )
        await to_thread.run_sync(cache.put, index)
        return index

    async def _file(self, digest: str, name: str) -> tuple[Inventory, tuple[Component, ...]]:
        cache = _MetaCache(self._meta, self.cache_key, self._clock)
        async with self._local(digest) as path:
            with self._scratch() as tmp:
                squashed = await to_thread.run_sync(
                    index_file_or_image,
                    path,
                    _file_name(name, digest),
                    digest,
                    self._catalogers,
                    self._limits,
                    tmp,
                    cache,
                )
        return squashed.visible, squashed.hidden

    async def _read(self, digest: str) -> bytes:
        return b"".join([chunk async for chunk in self._store.read(Digest.parse(digest))])

    @contextlib.asynccontextmanager
    async def _local(self, digest: str) -> AsyncIterator[Path]:
        """A file holding the blob: the store's own, or a temporary copy."""
        parsed = Digest.parse(digest)
        local = self._store.local_path(parsed)
        if local is not None:
            yield Path(local)
            return
        root = await to_thread.run_sync(self._scratch_root)
        fd, name = tempfile.mkstemp(prefix="blob-", dir=root)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in self._store.read(parsed):
                    await to_thread.run_sync(out.write, chunk)
            yield Path(name)
        finally:
            await to_thread.run_sync(os.unlink, name)

    def _scratch_root(self) -> Path | None:
        if self._tmp_dir is not None:
            self._tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self._tmp_dir

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="scan-", dir=self._scratch_root()) as tmp:
            yield Path(tmp)


def _file_name(name: str, digest: str) -> str:
    return name.rsplit("/", 1)[-1] or digest


class _MetaCache:
    """Layer indexes kept in the metadata database under the cache key."""

    def __init__(self, meta: MetadataStore, key: str, clock: Callable[[], float]) -> None:
        self._meta, self._key, self._clock = meta, key, clock

    def get(self, digest: str) -> LayerIndex | None:
        data = self._meta.scans.layer_index(digest, self._key)
        return None if data is None else decode(data)

    def put(self, index: LayerIndex) -> None:
        self._meta.scans.put_layer_index(index.digest, self._key, encode(index), self._clock())


__all__ = ["Indexer", "is_image_layer"]
