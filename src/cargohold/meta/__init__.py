"""Metadata: which repository holds which blob, manifest, tag and upload (SQLAlchemy Core)."""

from cargohold.meta.store import MetadataStore, open_metadata_store

__all__ = ["MetadataStore", "open_metadata_store"]
