"""The BlobStore protocol and the pieces every driver shares.

A blob store keeps bytes by digest and upload sessions by id. It knows nothing of
repositories: which repository may read a blob is metadata (see ``meta/``).
"""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cargohold.core.digest import Digest, Hasher, new_hasher
from cargohold.core.errors import DigestInvalid, DigestMismatch, SizeMismatch, UploadNotFound

_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
STREAM_CHUNK = 256 * 1024
WRITE_BATCH = 1024 * 1024


class BlobReader(Protocol):
    async def size(self, digest: Digest) -> int | None:
        """The size of a stored blob, or None when it is not stored."""

    def local_path(self, digest: Digest) -> str | None:
        """A file the server may send without copying through Python, if the driver has one."""

    def read(
        self, digest: Digest, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Stream ``length`` bytes (all when None) from ``offset``; raises BlobNotFound."""

    async def put(self, digest: Digest, data: bytes) -> None:
        """Store small content in one call (manifests); verifies the digest."""

    async def delete(self, digest: Digest) -> None:
        """Remove a blob; a no-op when it is absent."""


class BlobWriter(Protocol):
    async def start_upload(self) -> str:
        """Open an upload session and return its id."""

    async def append(
        self, upload_id: str, chunks: AsyncIterable[bytes], offset: int | None = None
    ) -> int:
        """Append a stream to the upload; ``offset`` must equal its size when given.

        Returns the new size. Raises UploadNotFound or UploadOffsetMismatch.
        """

    async def upload_size(self, upload_id: str) -> int:
        """Bytes received so far; raises UploadNotFound."""

    async def commit(self, upload_id: str, digest: Digest, size: int | None = None) -> int:
        """Verify and publish the upload as ``digest`` atomically; returns the blob size.

        Raises DigestMismatch or SizeMismatch (the upload is then discarded).
        """

    async def cancel(self, upload_id: str) -> None:
        """Discard the upload; raises UploadNotFound."""

    def list_uploads(self) -> AsyncIterator[UploadSession]:
        """Every upload session the store holds bytes of, whether or not the metadata still
        names it, with its size and when it last received bytes (housekeeping cancels the
        abandoned ones)."""


# --- upload sessions as housekeeping sees them -------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadSession:
    """An upload session a store holds: what ``cancel`` frees, and since when it is idle."""

    id: str
    size: int  # bytes the store keeps for it
    modified_at: float  # when it last received bytes: Unix time, by the store's clock


def is_upload_id(name: str) -> bool:
    return _UPLOAD_ID.match(name) is not None


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A published blob as storage sees it: ``modified`` is when its bytes were written
    (seconds since the epoch)."""

    digest: Digest
    size: int
    modified: float


class BlobInventory(Protocol):
    def stored(self) -> AsyncIterator[StoredBlob]:
        """Every published blob, in no particular order: what the garbage collector compares
        with the metadata to find bytes nothing records (a crash between the two writes)."""


class BlobHealth(Protocol):
    async def check(self) -> None:
        """Raise ``StorageUnavailable`` saying why, unless the store can be read and written
        now (cheap: a readiness probe calls it every few seconds)."""


class BlobStore(BlobReader, BlobWriter, BlobInventory, BlobHealth, Protocol):
    """Every role; what the registry is built on."""


@runtime_checkable
class BlobRedirects(Protocol):
    """A store whose blobs clients may fetch from it directly (an object store): the server
    then answers a download with a redirect instead of sending the bytes itself."""

    async def presigned_url(self, digest: Digest, expires: int) -> str:
        """A URL that serves the blob (ranges too) without credentials for ``expires``
        seconds."""


def new_upload_id() -> str:
    return uuid.uuid4().hex


def parse_blob_name(algorithm: str, name: str) -> Digest | None:
    """The digest a stored blob's file or key name stands for; None for anything else."""
    try:
        return Digest.parse(f"{algorithm}:{name}")
    except DigestInvalid:
        return None


def check_upload_id(upload_id: str) -> str:
    if not _UPLOAD_ID.match(upload_id):
        raise UploadNotFound(f"no upload {upload_id[:64]!r}")
    return upload_id


def verify(claimed: Digest, actual_hex: str, size: int, expected_size: int | None) -> None:
    if actual_hex != claimed.hex:
        raise DigestMismatch(str(claimed), f"{claimed.algorithm}:{actual_hex}")
    if expected_size is not None and expected_size != size:
        raise SizeMismatch(f"upload has {size} bytes, not {expected_size}")


class RunningHashes:
    """sha256 states of in-flight uploads, so a commit does not read the bytes again.

    Kept per process and bounded; when a state is missing (another worker received the
    chunk, or the server restarted) the driver hashes the stored bytes at commit instead.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._states: OrderedDict[str, tuple[int, Hasher]] = OrderedDict()
        self._limit = limit

    def take(self, upload_id: str, offset: int) -> Hasher | None:
        entry = self._states.pop(upload_id, None)
        if entry is None:
            return new_hasher("sha256") if offset == 0 else None
        at, hasher = entry
        return hasher if at == offset else None

    def keep(self, upload_id: str, offset: int, hasher: Hasher | None) -> None:
        if hasher is None:
            return
        self._states[upload_id] = (offset, hasher)
        while len(self._states) > self._limit:
            self._states.popitem(last=False)

    def finish(self, upload_id: str, size: int, algorithm: str) -> str | None:
        entry = self._states.pop(upload_id, None)
        if entry is None or algorithm != "sha256":
            return None
        at, hasher = entry
        return hasher.hexdigest() if at == size else None

    def forget(self, upload_id: str) -> None:
        self._states.pop(upload_id, None)


__all__ = [
    "STREAM_CHUNK",
    "WRITE_BATCH",
    "BlobInventory",
    "BlobReader",
    "BlobRedirects",
    "BlobStore",
    "BlobWriter",
    "RunningHashes",
    "StoredBlob",
    "UploadSession",
    "check_upload_id",
    "is_upload_id",
    "new_upload_id",
    "parse_blob_name",
    "verify",
]
