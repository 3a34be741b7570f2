"""Debian repositories' use cases, built together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cargohold.meta.store import MetadataStore
from cargohold.registry.deb.publishing import DebIndexes
from cargohold.registry.deb.reading import DebReading
from cargohold.registry.deb.uploads import DebUploads
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.signing.keys import RepositoryKeys
from cargohold.storage.base import BlobStore


@dataclass(frozen=True, slots=True)
class Deb:
    uploads: DebUploads
    reading: DebReading
    indexes: DebIndexes

    @classmethod
    def build(
        cls,
        meta: MetadataStore,
        store: BlobStore,
        claims: BlobClaims,
        packages: PackageFiles,
        keys: RepositoryKeys,
        clock: Callable[[], float],
    ) -> Deb:
        indexes = DebIndexes(meta, store, claims, keys, clock)
        return cls(
            uploads=DebUploads(meta, packages, indexes, clock),
            reading=DebReading(meta, packages, keys, indexes),
            indexes=indexes,
        )


__all__ = ["Deb"]
