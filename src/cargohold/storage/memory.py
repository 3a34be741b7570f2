"""A blob store in process memory: for unit tests and throwaway instances."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator

from cargohold.core.digest import Digest, new_hasher
from cargohold.core.errors import BlobNotFound, UploadNotFound, UploadOffsetMismatch
from cargohold.storage.base import (
    STREAM_CHUNK,
    StoredBlob,
    UploadSession,
    check_upload_id,
    new_upload_id,
    verify,
)


class MemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[Digest, bytes] = {}
        self._written: dict[Digest, float] = {}
        self._uploads: dict[str, bytearray] = {}
        self._modified: dict[str, float] = {}  # when each upload last received bytes

    async def check(self) -> None:
        return None

    async def size(self, digest: Digest) -> int | None:
        data = self._blobs.get(digest)
        return None if data is None else len(data)

    def local_path(self, digest: Digest) -> str | None:
        return None

    async def read(
        self, digest: Digest, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        data = self._blobs.get(digest)
        if data is None:
            raise BlobNotFound(str(digest))
        end = len(data) if length is None else min(len(data), offset + length)
        for start in range(offset, end, STREAM_CHUNK):
            yield data[start : min(end, start + STREAM_CHUNK)]

    async def put(self, digest: Digest, data: bytes) -> None:
        hasher = new_hasher(digest.algorithm)
        hasher.update(data)
        verify(digest, hasher.hexdigest(), len(data), None)
        self._publish(digest, bytes(data))

    async def delete(self, digest: Digest) -> None:
        self._blobs.pop(digest, None)
        self._written.pop(digest, None)

    async def stored(self) -> AsyncIterator[StoredBlob]:
        for digest, data in list(self._blobs.items()):
            yield StoredBlob(digest, len(data), self._written[digest])

    def _publish(self, digest: Digest, data: bytes) -> None:
        if digest not in self._blobs:
            self._blobs[digest] = data
            self._written[digest] = time.time()

    async def start_upload(self) -> str:
        upload_id = new_upload_id()
        self._uploads[upload_id] = bytearray()
        self._modified[upload_id] = time.time()
        return upload_id

    async def append(
        self, upload_id: str, chunks: AsyncIterable[bytes], offset: int | None = None
    ) -> int:
        buffer = self._buffer(upload_id)
        if offset is not None and offset != len(buffer):
            raise UploadOffsetMismatch(len(buffer), offset)
        async for chunk in chunks:
            buffer += chunk
            self._modified[upload_id] = time.time()
        return len(buffer)

    async def upload_size(self, upload_id: str) -> int:
        return len(self._buffer(upload_id))

    async def commit(self, upload_id: str, digest: Digest, size: int | None = None) -> int:
        data = bytes(self._buffer(upload_id))
        del self._uploads[upload_id]
        self._modified.pop(upload_id, None)
        hasher = new_hasher(digest.algorithm)
        hasher.update(data)
        verify(digest, hasher.hexdigest(), len(data), size)
        self._publish(digest, data)
        return len(data)

    async def cancel(self, upload_id: str) -> None:
        self._buffer(upload_id)
        del self._uploads[upload_id]
        self._modified.pop(upload_id, None)

    async def list_uploads(self) -> AsyncIterator[UploadSession]:
        for upload_id, buffer in list(self._uploads.items()):
            yield UploadSession(upload_id, len(buffer), self._modified[upload_id])

    def _buffer(self, upload_id: str) -> bytearray:
        buffer = self._uploads.get(check_upload_id(upload_id))
        if buffer is None:
            raise UploadNotFound(f"no upload {upload_id}")
        return buffer


__all__ = ["MemoryBlobStore"]
