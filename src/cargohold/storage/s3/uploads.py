"""Uploads in progress, as S3 multipart uploads that any node can continue.

Each append gathers bytes until a part is worth sending (S3 takes parts of at least 5 MiB but
the last), sends it, and stages what is left as a small object, so the next chunk may arrive
at another node; what an upload received is recorded in its state object (``state.py``).
``commit`` sends the staged rest as the last part, completes the multipart upload to the
upload's own ``data`` key, verifies digest and size, and only then copies the object to its
digest key (``blobs.py``). An upload small enough to have no part is verified in memory and
PUT to its digest key directly.

The digest comes from the running hash when this node received every byte of the upload
(``RunningHashes``); otherwise, as when an upload was continued on another node or the
server restarted, the completed ``data`` object is read back and hashed. An aborted,
cancelled or committed upload has its multipart uploads aborted and its objects deleted.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING

from anyio import to_thread

from cargohold.core.digest import Digest, Hasher, new_hasher
from cargohold.core.errors import (
    SizeMismatch,
    StorageFull,
    StorageUnavailable,
    UploadNotFound,
    UploadOffsetMismatch,
)
from cargohold.storage.base import (
    STREAM_CHUNK,
    RunningHashes,
    UploadSession,
    check_upload_id,
    new_upload_id,
)
from cargohold.storage.base import verify as verify_digest
from cargohold.storage.s3.blobs import PublishedBlobs
from cargohold.storage.s3.connection import ConditionFailed, ObjectMissing, S3Connection
from cargohold.storage.s3.locks import KeyedLocks
from cargohold.storage.s3.sessions import list_sessions
from cargohold.storage.s3.state import MAX_PARTS, Part, Staged, UploadState, part_target

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MAX_PIECES = 32  # staged pieces an upload keeps before they are merged into one


class S3Uploads:
    def __init__(self, s3: S3Connection, blobs: PublishedBlobs, part_size: int) -> None:
        self._s3 = s3
        self._blobs = blobs
        self._bucket = s3.location.bucket
        self._prefix = s3.location.prefix
        self._part_size = part_size
        self._hashes = RunningHashes()
        self._locks = KeyedLocks()

    def prefix(self, upload_id: str) -> str:
        """Where the upload's objects are (also the multipart upload's key, + "data")."""
        return f"{self._prefix}uploads/{check_upload_id(upload_id)}/"

    async def start(self) -> str:
        upload_id = new_upload_id()
        await self._save(upload_id, UploadState(), 0, create=True)
        return upload_id

    async def size(self, upload_id: str) -> int:
        return (await self._load(upload_id)).size

    async def append(
        self, upload_id: str, chunks: AsyncIterable[bytes], offset: int | None = None
    ) -> int:
        async with self._locks.hold(check_upload_id(upload_id)):
            state = await self._load(upload_id)
            if offset is not None and offset != state.size:
                raise UploadOffsetMismatch(state.size, offset)
            started = state.size
            hasher = self._hashes.take(upload_id, state.size)
            claim: list[int] = []  # the part number this append holds, once it has one
            try:
                batch: list[bytes] = []
                pending = 0
                async for chunk in chunks:
                    batch.append(chunk)
                    pending += len(chunk)
                    number = claim[0] if claim else state.claimed + 1
                    if state.staged_size + pending >= part_target(number, self._part_size):
                        fresh = b"".join(batch)
                        batch, pending = [], 0
                        await self._send_part(upload_id, state, fresh, hasher, started, claim)
                if pending:
                    await self._stage(upload_id, state, b"".join(batch), hasher, started)
            except BaseException:
                # What was recorded stays: the client may ask for the offset and resume.
                self._hashes.forget(upload_id)
                raise
            self._hashes.keep(upload_id, state.size, hasher)
            return state.size

    async def commit(self, upload_id: str, digest: Digest, size: int | None = None) -> int:
        """Verify and publish; the upload is discarded afterwards, whether it passed or not
        (a client whose commit failed starts the blob again)."""
        async with self._locks.hold(check_upload_id(upload_id)):
            state = await self._load(upload_id)
            known = self._hashes.finish(upload_id, state.size, digest.algorithm)
            try:
                if size is not None and size != state.size:
                    raise SizeMismatch(f"upload has {state.size} bytes, not {size}")
                if state.parts:
                    await self._commit_parts(upload_id, state, digest, known)
                else:
                    await self._commit_staged(upload_id, state, digest, known)
            finally:
                with _quietly():
                    await self._discard(upload_id, state)
            return state.size

    async def cancel(self, upload_id: str) -> None:
        """Discard the upload; also the pieces of one whose state object is gone (a start
        or a discard that broke off), which housekeeping finds. UploadNotFound when there
        is nothing."""
        async with self._locks.hold(check_upload_id(upload_id)):
            self._hashes.forget(upload_id)
            try:
                state = await self._load(upload_id)
            except UploadNotFound:
                if not await self._discard(upload_id, UploadState()):
                    raise
                return
            await self._discard(upload_id, state)

    async def sessions(self) -> list[UploadSession]:
        """Every upload the store holds objects of (``sessions.py``)."""
        base = f"{self._prefix}uploads/"
        return await self._s3.run(lambda c: list_sessions(c, self._bucket, base))

    # --- receiving ----------------------------------------------------------------------

    async def _send_part(
        self,
        upload_id: str,
        state: UploadState,
        fresh: bytes,
        hasher: Hasher | None,
        started: int,
        claim: list[int],
    ) -> None:
        """Send the staged pieces and ``fresh`` as one part, then record it (and claim the
        next number for this append's next part, in the same write)."""
        if hasher is not None:
            await to_thread.run_sync(hasher.update, fresh)
        if not claim:
            claim.append(await self._claim(upload_id, state, started))
        body = await self._read_staged(upload_id, state) + fresh
        number = claim.pop()
        etag = await self._upload_part(upload_id, state, number, body)
        replaced = state.staged
        state.parts.append(Part(number, etag, len(body)))
        state.staged = []
        state.size += len(fresh)
        if state.claimed < MAX_PARTS:
            state.claimed += 1
            claim.append(state.claimed)
        await self._save(upload_id, state, started)
        await self._delete_staged(upload_id, replaced)

    async def _stage(
        self,
        upload_id: str,
        state: UploadState,
        fresh: bytes,
        hasher: Hasher | None,
        started: int,
    ) -> None:
        if hasher is not None:
            await to_thread.run_sync(hasher.update, fresh)
        replaced: list[Staged] = []
        body = fresh
        offset = state.size
        if len(state.staged) >= MAX_PIECES:
            # Many tiny chunks: their pieces become one, so that the state stays small.
            body = await self._read_staged(upload_id, state) + fresh
            replaced, offset = state.staged, state.staged[0].offset
        piece = Staged(offset, len(body), f"{offset}-{secrets.token_hex(8)}")
        key = self.prefix(upload_id) + "staged/" + piece.name
        await self._s3.run(lambda c: c.put_object(Bucket=self._bucket, Key=key, Body=body))
        state.staged = [s for s in state.staged if s not in replaced] + [piece]
        state.size += len(fresh)
        await self._save(upload_id, state, started)
        await self._delete_staged(upload_id, replaced)

    async def _claim(self, upload_id: str, state: UploadState, started: int) -> int:
        """A part number no other writer will use: recorded in the state before any byte of
        the part is sent."""
        if state.claimed >= MAX_PARTS:
            raise StorageFull(
                "the upload reached S3's limit of 10,000 parts; nothing more can be added to it"
            )
        if state.multipart is None:
            key = self.prefix(upload_id) + "data"
            created = await self._s3.run(
                lambda c: c.create_multipart_upload(Bucket=self._bucket, Key=key)
            )
            state.multipart = created["UploadId"]
        state.claimed += 1
        await self._save(upload_id, state, started)
        return state.claimed

    async def _upload_part(
        self, upload_id: str, state: UploadState, number: int, body: bytes
    ) -> str:
        key = self.prefix(upload_id) + "data"
        multipart = state.multipart
        assert multipart is not None  # claimed parts have a multipart upload
        sent = await self._s3.run(
            lambda c: c.upload_part(
                Bucket=self._bucket, Key=key, UploadId=multipart, PartNumber=number, Body=body
            )
        )
        return sent["ETag"]

    async def _read_staged(self, upload_id: str, state: UploadState) -> bytes:
        data: list[bytes] = []
        for piece in state.staged:
            key = self.prefix(upload_id) + "staged/" + piece.name
            try:
                data.append(
                    await self._s3.run(functools.partial(_get, bucket=self._bucket, key=key))
                )
            except ObjectMissing as exc:
                raise UploadNotFound(
                    f"upload {upload_id} lost its bytes at {piece.offset}"
                ) from exc
            if len(data[-1]) != piece.size:
                raise UploadNotFound(f"upload {upload_id} has a damaged piece at {piece.offset}")
        return b"".join(data)

    # --- state --------------------------------------------------------------------------

    async def _load(self, upload_id: str) -> UploadState:
        key = self.prefix(upload_id) + "state"
        try:
            data, etag = await self._s3.run(lambda c: _get_tagged(c, self._bucket, key))
        except ObjectMissing as exc:
            raise UploadNotFound(f"no upload {upload_id}") from exc
        return UploadState.decode(data, etag)

    async def _save(
        self, upload_id: str, state: UploadState, started: int, *, create: bool = False
    ) -> None:
        """Write the state if nobody else changed it since it was read; raise
        UploadOffsetMismatch (or UploadNotFound) when somebody did."""
        key = self.prefix(upload_id) + "state"
        body = state.encode()
        etag = state.etag or ""
        try:
            if create:
                saved = await self._s3.run(
                    lambda c: c.put_object(Bucket=self._bucket, Key=key, Body=body, IfNoneMatch="*")
                )
            else:
                saved = await self._s3.run(
                    lambda c: c.put_object(Bucket=self._bucket, Key=key, Body=body, IfMatch=etag)
                )
        except ConditionFailed as exc:
            current = await self._load(upload_id)
            raise UploadOffsetMismatch(current.size, started) from exc
        state.etag = saved["ETag"]

    # --- publishing ---------------------------------------------------------------------

    async def _commit_staged(
        self, upload_id: str, state: UploadState, digest: Digest, known: str | None
    ) -> None:
        data = await self._read_staged(upload_id, state)
        if known is None:
            hasher = new_hasher(digest.algorithm)
            await to_thread.run_sync(hasher.update, data)
            known = hasher.hexdigest()
        verify_digest(digest, known, len(data), state.size)
        await self._blobs.put(digest, data)

    async def _commit_parts(
        self, upload_id: str, state: UploadState, digest: Digest, known: str | None
    ) -> None:
        if state.staged:
            number = await self._claim(upload_id, state, state.size)
            body = await self._read_staged(upload_id, state)
            etag = await self._upload_part(upload_id, state, number, body)
            state.parts.append(Part(number, etag, len(body)))
        key = self.prefix(upload_id) + "data"
        multipart = state.multipart
        assert multipart is not None
        parts: list[CompletedPartTypeDef] = [
            {"PartNumber": p.number, "ETag": p.etag} for p in state.parts
        ]
        done = await self._s3.run(
            lambda c: c.complete_multipart_upload(
                Bucket=self._bucket,
                Key=key,
                UploadId=multipart,
                MultipartUpload={"Parts": parts},
            )
        )
        etag = done["ETag"]
        state.multipart = None  # completed: nothing left to abort
        if known is None:
            algorithm = digest.algorithm
            known = await self._s3.run(
                lambda c: _hash_object(c, self._bucket, key, etag, algorithm)
            )
        verify_digest(digest, known, sum(p.size for p in state.parts), state.size)
        await self._blobs.copy_in(digest, key, etag)

    # --- cleaning up --------------------------------------------------------------------

    async def _discard(self, upload_id: str, state: UploadState) -> bool:
        """Abort the upload's multipart uploads (the recorded one, and any a writer created
        but lost the race to record) and delete its objects; whether there was any."""
        prefix = self.prefix(upload_id)
        listed = await self._s3.run(
            lambda c: c.list_multipart_uploads(Bucket=self._bucket, Prefix=prefix)
        )
        open_uploads = {(u["Key"], u["UploadId"]) for u in listed.get("Uploads", [])}
        if state.multipart is not None:
            open_uploads.add((prefix + "data", state.multipart))
        for key, multipart in open_uploads:
            with contextlib.suppress(ObjectMissing):
                await self._s3.run(
                    functools.partial(_abort, bucket=self._bucket, key=key, upload=multipart)
                )
        objects = await self._s3.run(
            lambda c: c.list_objects_v2(Bucket=self._bucket, Prefix=prefix)
        )
        keys = [o["Key"] for o in objects.get("Contents", [])]
        # The state last: while it exists, the upload can be found and cancelled again.
        keys.sort(key=lambda k: k == prefix + "state")
        await self._delete_keys(keys)
        return bool(open_uploads or keys)

    async def _delete_staged(self, upload_id: str, pieces: list[Staged]) -> None:
        prefix = self.prefix(upload_id) + "staged/"
        with _quietly():  # what is left is deleted with the upload
            await self._delete_keys([prefix + piece.name for piece in pieces])

    async def _delete_keys(self, keys: list[str]) -> None:
        for key in keys:
            await self._s3.run(functools.partial(_delete, bucket=self._bucket, key=key))


def _get(client: S3Client, bucket: str, key: str) -> bytes:
    return _get_tagged(client, bucket, key)[0]


def _abort(client: S3Client, bucket: str, key: str, upload: str) -> None:
    client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)


def _delete(client: S3Client, bucket: str, key: str) -> None:
    client.delete_object(Bucket=bucket, Key=key)


def _get_tagged(client: S3Client, bucket: str, key: str) -> tuple[bytes, str]:
    response = client.get_object(Bucket=bucket, Key=key)
    with contextlib.closing(response["Body"]) as body:
        return body.read(), response["ETag"]


def _hash_object(client: S3Client, bucket: str, key: str, etag: str, algorithm: str) -> str:
    """Read the object back and hash it: the digest of an upload no running hash followed."""
    hasher = new_hasher(algorithm)
    response = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)
    with contextlib.closing(response["Body"]) as body:
        while chunk := body.read(4 * STREAM_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _quietly() -> contextlib.suppress:
    """Cleaning up after the fact: a failure there (logged by the connection) must not hide
    the outcome; the objects it left stay under uploads/."""
    return contextlib.suppress(StorageUnavailable, ObjectMissing, UploadNotFound)


__all__ = ["S3Uploads"]
