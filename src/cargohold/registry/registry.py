"""The Registry: every use case over one blob store and one metadata store."""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.meta.store import MetadataStore
from cargohold.registry.access import AccessControl
from cargohold.registry.blobs import Blobs
from cargohold.registry.manifests import Manifests
from cargohold.registry.repositories import Repositories
from cargohold.storage.base import BlobStore


@dataclass(frozen=True, slots=True)
class Registry:
    repositories: Repositories
    blobs: Blobs
    manifests: Manifests
    access: AccessControl

    @classmethod
    def build(cls, store: BlobStore, meta: MetadataStore) -> Registry:
        blobs = Blobs(store, meta)
        return cls(
            repositories=Repositories(meta),
            blobs=blobs,
            manifests=Manifests(store, meta, blobs),
            access=AccessControl(meta),
        )


__all__ = ["Registry"]
