"""Published blobs in the object store: one object per digest, written whole or not at all.

A presigned URL is reused while at least half of its lifetime is left: a fleet pulling one
image is sent to the same few URLs, each signed once (signing is a worker-thread hop and
about 0.1 ms of CPU), and every machine still has half the expiry to start its download.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from boto3.s3.transfer import TransferConfig

from cargohold.core.bounded import remember
from cargohold.core.digest import Digest
from cargohold.core.errors import BlobNotFound
from cargohold.storage.base import STREAM_CHUNK, StoredBlob, parse_blob_name
from cargohold.storage.s3.connection import (
    ConditionFailed,
    ObjectMissing,
    RangeNotSatisfiable,
    S3Connection,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef

GiB = 1024 * 1024 * 1024
_SIGNED_LIMIT = 10_000
# Copies up to 4 GiB are one CopyObject (S3 copies at most 5 GiB in one); bigger ones are
# multipart copies in 512 MiB parts.
_COPY = TransferConfig(multipart_threshold=4 * GiB, multipart_chunksize=GiB // 2, max_concurrency=4)


class PublishedBlobs:
    def __init__(self, s3: S3Connection) -> None:
        self._s3 = s3
        self._bucket = s3.location.bucket
        self._prefix = s3.location.prefix
        self._signed: dict[tuple[Digest, int], tuple[str, float]] = {}  # -> (url, reuse until)

    def key(self, digest: Digest) -> str:
        return f"{self._prefix}blobs/{digest.algorithm}/{digest.hex[:2]}/{digest.hex}"

    async def size(self, digest: Digest) -> int | None:
        key = self.key(digest)
        try:
            head = await self._s3.run(lambda c: c.head_object(Bucket=self._bucket, Key=key))
        except ObjectMissing:
            return None
        return head["ContentLength"]

    async def read(
        self, digest: Digest, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Streamed in small chunks, one worker-thread read each: a download holds one pooled
        connection and a chunk of memory, whatever the blob's size."""
        if length == 0:
            if await self.size(digest) is None:
                raise BlobNotFound(str(digest))
            return
        key = self.key(digest)
        span = f"bytes={offset}-{'' if length is None else offset + length - 1}"
        try:
            response = await self._s3.run(
                lambda c: c.get_object(Bucket=self._bucket, Key=key, Range=span)
            )
        except ObjectMissing as exc:
            raise BlobNotFound(str(digest)) from exc
        except RangeNotSatisfiable:
            return  # from the end of the blob on: nothing to send
        body = response["Body"]
        try:
            while chunk := await self._s3.run(lambda _: body.read(STREAM_CHUNK)):
                yield chunk
        finally:
            body.close()

    async def put(self, digest: Digest, data: bytes) -> None:
        """Store verified bytes under their digest (If-None-Match: a blob stored already is
        left as it is)."""
        key = self.key(digest)
        with contextlib.suppress(ConditionFailed):
            await self._s3.run(
                lambda c: c.put_object(Bucket=self._bucket, Key=key, Body=data, IfNoneMatch="*")
            )

    async def copy_in(self, digest: Digest, source: str, etag: str) -> None:
        """Copy a verified object to its digest's key, if the copy is still the object that
        was verified (If-Match on its ETag)."""
        if await self.size(digest) is not None:
            return  # stored already: same digest, same bytes
        target = self.key(digest)
        await self._s3.run(
            lambda c: c.copy(
                {"Bucket": self._bucket, "Key": source},
                self._bucket,
                target,
                ExtraArgs={"CopySourceIfMatch": etag},
                Config=_COPY,
            )
        )

    async def delete(self, digest: Digest) -> None:
        key = self.key(digest)
        await self._s3.run(lambda c: c.delete_object(Bucket=self._bucket, Key=key))

    async def stored(self) -> AsyncIterator[StoredBlob]:
        """Listed a page of up to 1000 keys per request."""
        root = f"{self._prefix}blobs/"
        token: str | None = None
        while True:
            page = await self._s3.run(functools.partial(self._list, root, token))
            for entry in page.get("Contents", []):
                algorithm, _, name = entry["Key"][len(root) :].partition("/")
                digest = parse_blob_name(algorithm, name.rpartition("/")[2])
                if digest is not None:
                    yield StoredBlob(digest, entry["Size"], entry["LastModified"].timestamp())
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or token is None:
                return

    def _list(self, root: str, token: str | None, client: S3Client) -> ListObjectsV2OutputTypeDef:
        if token is None:
            return client.list_objects_v2(Bucket=self._bucket, Prefix=root)
        return client.list_objects_v2(Bucket=self._bucket, Prefix=root, ContinuationToken=token)

    async def presigned_url(self, digest: Digest, expires: int) -> str:
        now = time.monotonic()
        signed = self._signed.get((digest, expires))
        if signed is not None and now < signed[1]:
            return signed[0]
        key = self.key(digest)
        # Signing sends no request, but refreshing credentials (an instance role) may.
        url = await self._s3.run(
            lambda c: c.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires
            )
        )
        remember(self._signed, (digest, expires), (url, now + expires / 2), _SIGNED_LIMIT)
        return url


__all__ = ["PublishedBlobs"]
