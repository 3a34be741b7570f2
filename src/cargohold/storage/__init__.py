"""Content-addressed blob storage: one protocol, several drivers, one contract suite."""

from cargohold.storage.base import BlobReader, BlobStore, BlobWriter
from cargohold.storage.filesystem import FilesystemBlobStore
from cargohold.storage.memory import MemoryBlobStore

__all__ = ["BlobReader", "BlobStore", "BlobWriter", "FilesystemBlobStore", "MemoryBlobStore"]
