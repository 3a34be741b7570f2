"""One contract every BlobStore driver must pass."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BlobNotFound,
    DigestMismatch,
    SizeMismatch,
    UploadNotFound,
    UploadOffsetMismatch,
)
from cargohold.storage import BlobStore, FilesystemBlobStore, MemoryBlobStore
from cargohold.storage.base import UploadSession
from cargohold.storage.s3.store import S3BlobStore
from tests.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "memory":
        yield MemoryBlobStore()
    elif request.param == "filesystem":
        yield FilesystemBlobStore(tmp_path / "blobs")
    else:
        # SeaweedFS starts once per run, and only when an S3 case runs.
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        yield S3BlobStore(server.location(), (ACCESS_KEY, SECRET_KEY))


async def stream(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(
    store: BlobStore, digest: Digest, offset: int = 0, length: int | None = None
) -> bytes:
    return b"".join([chunk async for chunk in store.read(digest, offset, length)])


async def test_large_stream_round_trip(store: BlobStore) -> None:
    data = os.urandom(9 * 1024 * 1024 + 3)
    digest = Digest.of(data)
    upload = await store.start_upload()
    assert await store.append(upload, stream(data, 1 << 20)) == len(data)
    assert await store.commit(upload, digest, len(data)) == len(data)
    assert await store.size(digest) == len(data)
    assert hashlib.sha256(await read_all(store, digest)).hexdigest() == digest.hex


async def test_ranges(store: BlobStore) -> None:
    data = bytes(range(256)) * 4096
    digest = Digest.of(data)
    await store.put(digest, data)
    assert await read_all(store, digest, 1000, 10) == data[1000:1010]
    assert await read_all(store, digest, len(data) - 5) == data[-5:]
    assert await read_all(store, digest, 300_000, 500_000) == data[300_000:800_000]


async def test_chunks_and_resume(store: BlobStore) -> None:
    data = os.urandom(300_000)
    upload = await store.start_upload()
    await store.append(upload, stream(data[:100_000]), offset=0)
    assert await store.upload_size(upload) == 100_000
    with pytest.raises(UploadOffsetMismatch):
        await store.append(upload, stream(data[200_000:]), offset=200_000)
    await store.append(upload, stream(data[100_000:]), offset=100_000)
    await store.commit(upload, Digest.of(data))
    assert await read_all(store, Digest.of(data)) == data


async def test_sha512(store: BlobStore) -> None:
    data = b"x" * 100_000
    digest = Digest.of(data, "sha512")
    upload = await store.start_upload()
    await store.append(upload, stream(data))
    await store.commit(upload, digest)
    assert await read_all(store, digest) == data


async def test_wrong_digest_publishes_nothing(store: BlobStore) -> None:
    upload = await store.start_upload()
    await store.append(upload, stream(b"actual"))
    claimed = Digest.of(b"claimed")
    with pytest.raises(DigestMismatch):
        await store.commit(upload, claimed)
    assert await store.size(claimed) is None
    assert await store.size(Digest.of(b"actual")) is None
    with pytest.raises(UploadNotFound):
        await store.upload_size(upload)


async def test_wrong_size(store: BlobStore) -> None:
    upload = await store.start_upload()
    await store.append(upload, stream(b"12345"))
    with pytest.raises(SizeMismatch):
        await store.commit(upload, Digest.of(b"12345"), 4)


async def test_cancel(store: BlobStore) -> None:
    upload = await store.start_upload()
    await store.append(upload, stream(b"abc"))
    await store.cancel(upload)
    with pytest.raises(UploadNotFound):
        await store.append(upload, stream(b"more"))
    with pytest.raises(UploadNotFound):
        await store.cancel(upload)


async def test_unknown_ids_and_blobs(store: BlobStore) -> None:
    for bad in ("0" * 32, "../../etc", ""):
        with pytest.raises(UploadNotFound):
            await store.upload_size(bad)
    missing = Digest.of(b"missing")
    assert await store.size(missing) is None
    with pytest.raises(BlobNotFound):
        await read_all(store, missing)
    await store.delete(missing)  # absent: no error


async def test_concurrent_uploads_of_one_digest_store_it_once(store: BlobStore) -> None:
    data = os.urandom(2 * 1024 * 1024)
    digest = Digest.of(data)

    async def upload() -> None:
        upload_id = await store.start_upload()
        await store.append(upload_id, stream(data))
        await store.commit(upload_id, digest)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(upload)
    assert await read_all(store, digest) == data
    if isinstance(store, FilesystemBlobStore):
        assert len(list(store.root.rglob(digest.hex))) == 1
        assert list((store.root / "uploads").iterdir()) == []


async def test_put_verifies(store: BlobStore) -> None:
    with pytest.raises(DigestMismatch):
        await store.put(Digest.of(b"one"), b"two")
    await store.put(Digest.of(b"one"), b"one")
    await store.put(Digest.of(b"one"), b"one")  # idempotent
    assert await read_all(store, Digest.of(b"one")) == b"one"


async def test_delete(store: BlobStore) -> None:
    await store.put(Digest.of(b"bye"), b"bye")
    await store.delete(Digest.of(b"bye"))
    assert await store.size(Digest.of(b"bye")) is None


async def test_resume_in_a_new_store_instance(tmp_path: Path) -> None:
    """A restarted server (new process, no running hash) still completes the upload."""
    data = os.urandom(500_000)
    first = FilesystemBlobStore(tmp_path)
    upload = await first.start_upload()
    await first.append(upload, stream(data[:200_000]))
    second = FilesystemBlobStore(tmp_path)
    assert await second.upload_size(upload) == 200_000
    await second.append(upload, stream(data[200_000:]), offset=200_000)
    await second.commit(upload, Digest.of(data))
    assert await read_all(second, Digest.of(data)) == data


async def test_stored_lists_every_published_blob_and_nothing_else(store: BlobStore) -> None:
    """What the garbage collector compares with the metadata: published blobs with their
    size and when they were written; uploads in progress are not blobs yet."""
    before = time.time() - 5
    small, other = b"listed", os.urandom(70_000)
    await store.put(Digest.of(small), small)
    upload = await store.start_upload()
    await store.append(upload, stream(other))
    await store.commit(upload, Digest.of(other))
    pending = await store.start_upload()
    await store.append(pending, stream(b"not published"))

    listed = {blob.digest: blob async for blob in store.stored()}
    assert set(listed) == {Digest.of(small), Digest.of(other)}
    assert listed[Digest.of(other)].size == len(other)
    assert all(before <= blob.modified <= time.time() + 5 for blob in listed.values())

    await store.delete(Digest.of(small))
    assert [blob.digest async for blob in store.stored()] == [Digest.of(other)]


# --- upload sessions, as housekeeping lists and cancels them -------------------------------


async def listed(store: BlobStore) -> dict[str, UploadSession]:
    return {session.id: session async for session in store.list_uploads()}


async def test_uploads_are_listed_with_their_size_and_age_until_they_end(store: BlobStore) -> None:
    before = time.time()
    idle = await store.start_upload()
    busy = await store.start_upload()
    await store.append(busy, stream(b"x" * 100_000))
    committed = await store.start_upload()
    await store.append(committed, stream(b"done"))
    await store.commit(committed, Digest.of(b"done"))
    cancelled = await store.start_upload()
    await store.cancel(cancelled)
    after = time.time()

    sessions = await listed(store)
    assert idle in sessions and busy in sessions
    assert committed not in sessions and cancelled not in sessions
    assert sessions[busy].size >= 100_000  # an object store counts its bookkeeping too
    for upload in (idle, busy):
        # an object store's clock ticks in whole seconds, and may not be the server's
        assert before - 2 <= sessions[upload].modified_at <= after + 2

    for upload in (idle, busy):  # what the listing shows, cancel frees
        await store.cancel(upload)
        with pytest.raises(UploadNotFound):
            await store.upload_size(upload)
    assert not {idle, busy} & set(await listed(store))


async def test_an_idle_uploads_age_is_its_last_write(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    upload = await store.start_upload()
    await store.append(upload, stream(b"abc"))
    day_ago = time.time() - 86_400
    os.utime(tmp_path / "uploads" / upload, (day_ago, day_ago))
    assert (await listed(store))[upload].modified_at == pytest.approx(day_ago)
    await store.append(upload, stream(b"def"))
    assert (await listed(store))[upload].modified_at > day_ago + 86_000


async def test_the_readiness_check_passes_and_leaves_nothing(store: BlobStore) -> None:
    await store.check()
    await store.check()
    assert [session async for session in store.list_uploads()] == []
    assert [blob async for blob in store.stored()] == []
