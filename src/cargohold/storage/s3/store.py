"""A blob store on any S3-compatible object store, shared by N stateless nodes.

Layout (the one place it is written down)::

    <prefix>blobs/<algorithm>/<first two hex>/<hex>   published blobs, never modified
    <prefix>uploads/<upload id>/state                 what was received so far (state.py)
    <prefix>uploads/<upload id>/staged/<offset>-<r>   bytes not yet a part, one per request
    <prefix>uploads/<upload id>/data                  the multipart upload's key

A blob gets its digest key only once its bytes are verified (uploads.py), by one PUT or one
copy: S3 shows an object whole or not at all, so a reader sees no blob or the verified blob,
never a part of one. ``local_path`` is None: the server streams blobs through (blobs.py), or,
when the operator turns presigned redirects on, sends clients to ``presigned_url``.

Why boto3 on worker threads rather than aiobotocore: boto3/botocore is the library AWS
maintains and every S3-compatible server tests against; the rest of cargohold already runs
blocking work on anyio worker threads; and aiobotocore pins botocore to narrow ranges and
brings aiohttp as a second HTTP stack. The cost, a thread hop per call, is small next to a
network round trip; ``connection.py`` bounds the threads and the pooled connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from cargohold.core.digest import Digest, new_hasher
from cargohold.storage.base import StoredBlob, UploadSession, verify
from cargohold.storage.s3.blobs import PublishedBlobs
from cargohold.storage.s3.connection import S3Connection
from cargohold.storage.s3.location import S3Location
from cargohold.storage.s3.state import MIN_PART
from cargohold.storage.s3.uploads import S3Uploads

# What a readiness check asks the object store about: found or not, the store answered.
PROBE = Digest.of(b"cargohold readiness probe")


class S3BlobStore:
    def __init__(
        self,
        location: S3Location,
        credentials: tuple[str, str] | None = None,
        part_size: int = MIN_PART,
    ) -> None:
        """``credentials`` (access key, secret) or, when None, the AWS credential chain: the
        AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables first."""
        if part_size < MIN_PART:
            raise ValueError(f"S3 parts are at least {MIN_PART} bytes, not {part_size}")
        self.location = location
        s3 = S3Connection(location, credentials)
        self._blobs = PublishedBlobs(s3)
        self._uploads = S3Uploads(s3, self._blobs, part_size)

    def blob_key(self, digest: Digest) -> str:
        return self._blobs.key(digest)

    def upload_prefix(self, upload_id: str) -> str:
        return self._uploads.prefix(upload_id)

    async def check(self) -> None:
        """One HEAD of an object no one writes: the store answers and takes the credentials."""
        await self._blobs.size(PROBE)

    # --- reading ------------------------------------------------------------------------

    async def size(self, digest: Digest) -> int | None:
        return await self._blobs.size(digest)

    def local_path(self, digest: Digest) -> str | None:
        return None

    def read(
        self, digest: Digest, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        return self._blobs.read(digest, offset, length)

    async def put(self, digest: Digest, data: bytes) -> None:
        hasher = new_hasher(digest.algorithm)
        hasher.update(data)
        verify(digest, hasher.hexdigest(), len(data), None)
        await self._blobs.put(digest, data)

    async def delete(self, digest: Digest) -> None:
        await self._blobs.delete(digest)

    def stored(self) -> AsyncIterator[StoredBlob]:
        return self._blobs.stored()

    async def presigned_url(self, digest: Digest, expires: int) -> str:
        """A URL that serves the blob, ranges too, without credentials for ``expires``
        seconds (``BlobRedirects``)."""
        return await self._blobs.presigned_url(digest, expires)

    # --- uploads ------------------------------------------------------------------------

    async def start_upload(self) -> str:
        return await self._uploads.start()

    async def append(
        self, upload_id: str, chunks: AsyncIterable[bytes], offset: int | None = None
    ) -> int:
        return await self._uploads.append(upload_id, chunks, offset)

    async def upload_size(self, upload_id: str) -> int:
        return await self._uploads.size(upload_id)

    async def commit(self, upload_id: str, digest: Digest, size: int | None = None) -> int:
        return await self._uploads.commit(upload_id, digest, size)

    async def cancel(self, upload_id: str) -> None:
        await self._uploads.cancel(upload_id)

    # --- upload sessions, for housekeeping ----------------------------------------------

    async def list_uploads(self) -> AsyncIterator[UploadSession]:
        for session in await self._uploads.sessions():
            yield session


__all__ = ["S3BlobStore"]
