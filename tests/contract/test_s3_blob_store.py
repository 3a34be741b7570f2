"""What the S3 store promises beyond the contract every store passes, against a real S3 server
(SeaweedFS): uploads are multipart uploads that leave nothing behind, a blob is visible only
once verified, any node continues any upload, and presigned URLs are signed for real."""

from __future__ import annotations

import os

import anyio
import httpx
import pytest

from cargohold.core.digest import Digest
from cargohold.core.errors import (
    DigestMismatch,
    StorageUnavailable,
    UploadNotFound,
    UploadOffsetMismatch,
)
from cargohold.storage.base import STREAM_CHUNK
from cargohold.storage.s3.location import S3Location
from cargohold.storage.s3.state import MIN_PART
from cargohold.storage.s3.store import S3BlobStore
from cargohold.storage.s3.uploads import MAX_PIECES
from tests.contract.test_blob_stores import read_all, stream
from tests.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

pytestmark = pytest.mark.anyio

KEYS = (ACCESS_KEY, SECRET_KEY)
MiB = 1024 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def location(seaweedfs: SeaweedFS) -> S3Location:
    return seaweedfs.location()


@pytest.fixture
def store(location: S3Location) -> S3BlobStore:
    return S3BlobStore(location, KEYS)


def uploads(seaweedfs: SeaweedFS, location: S3Location) -> list[str]:
    """Every object and open multipart upload an upload may leave."""
    prefix = location.prefix + "uploads/"
    return seaweedfs.keys(prefix) + seaweedfs.open_multipart_uploads(prefix)


async def test_chunks_become_multipart_parts_and_leave_nothing(
    store: S3BlobStore, seaweedfs: SeaweedFS, location: S3Location
) -> None:
    data = os.urandom(2 * MIN_PART + 300_000)
    upload = await store.start_upload()
    # Chunks smaller than a part are staged until a part is worth sending.
    for start in range(0, len(data), MiB):
        await store.append(upload, stream(data[start : start + MiB]), offset=start)
    prefix = store.upload_prefix(upload)
    assert seaweedfs.open_multipart_uploads(prefix) == [prefix + "data"]
    assert any("/staged/" in key for key in seaweedfs.keys(prefix))
    digest = Digest.of(data)
    assert await store.commit(upload, digest, len(data)) == len(data)
    # Downloads stream in small chunks, whatever the blob's size.
    chunks = [chunk async for chunk in store.read(digest)]
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) <= STREAM_CHUNK
    assert await read_all(store, digest, MIN_PART - 10, 20) == data[MIN_PART - 10 : MIN_PART + 10]
    assert seaweedfs.keys(location.prefix) == [store.blob_key(digest)]
    assert uploads(seaweedfs, location) == []


async def test_cancelled_upload_leaves_nothing(
    store: S3BlobStore, seaweedfs: SeaweedFS, location: S3Location
) -> None:
    upload = await store.start_upload()
    await store.append(upload, stream(os.urandom(MIN_PART + 1000)))
    assert uploads(seaweedfs, location) != []
    await store.cancel(upload)
    assert uploads(seaweedfs, location) == []
    assert seaweedfs.keys(location.prefix) == []
    with pytest.raises(UploadNotFound):
        await store.upload_size(upload)


async def test_a_wrong_digest_after_parts_publishes_nothing(
    store: S3BlobStore, seaweedfs: SeaweedFS, location: S3Location
) -> None:
    data = os.urandom(MIN_PART + 5)
    upload = await store.start_upload()
    await store.append(upload, stream(data))
    with pytest.raises(DigestMismatch):
        await store.commit(upload, Digest.of(b"something else"))
    assert seaweedfs.keys(location.prefix) == []
    assert seaweedfs.open_multipart_uploads(location.prefix) == []


async def test_another_node_continues_and_verifies_by_reading_back(
    location: S3Location, seaweedfs: SeaweedFS
) -> None:
    """No running hash on the second node: it hashes the completed object; a wrong claim is
    still refused."""
    data = os.urandom(MIN_PART + 700_000)
    first, second = S3BlobStore(location, KEYS), S3BlobStore(location, KEYS)
    upload = await first.start_upload()
    await first.append(upload, stream(data[:3_000_000]))
    assert await second.upload_size(upload) == 3_000_000
    await second.append(upload, stream(data[3_000_000:]), offset=3_000_000)
    await first.commit(upload, Digest.of(data))
    assert await read_all(second, Digest.of(data)) == data

    again = await first.start_upload()
    await first.append(again, stream(data[:MIN_PART]))
    await second.append(again, stream(b"tail"), offset=MIN_PART)
    with pytest.raises(DigestMismatch):
        await first.commit(again, Digest.of(data[:MIN_PART] + b"tale"))
    assert uploads(seaweedfs, location) == []


async def test_two_nodes_appending_at_one_offset_cannot_both_win(location: S3Location) -> None:
    first, second = S3BlobStore(location, KEYS), S3BlobStore(location, KEYS)
    upload = await first.start_upload()
    await first.append(upload, stream(b"head"))
    outcomes: dict[bytes, object] = {}

    async def append(store: S3BlobStore, chunk: bytes) -> None:
        try:
            outcomes[chunk] = await store.append(upload, stream(chunk), offset=4)
        except UploadOffsetMismatch as exc:
            outcomes[chunk] = exc

    async with anyio.create_task_group() as group:
        group.start_soon(append, first, b"-one")
        group.start_soon(append, second, b"-two")
    won = [chunk for chunk, outcome in outcomes.items() if isinstance(outcome, int)]
    lost = [chunk for chunk, o in outcomes.items() if isinstance(o, UploadOffsetMismatch)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert await first.upload_size(upload) == 8
    # The upload holds exactly the winner's bytes, whichever node commits it.
    assert await second.commit(upload, Digest.of(b"head" + won[0])) == 8


async def test_presigned_urls_are_checked(store: S3BlobStore) -> None:
    data = bytes(range(256)) * 1000
    digest = Digest.of(data)
    await store.put(digest, data)
    url = await store.presigned_url(digest, 60)
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
        assert fetched.status_code == 200
        assert fetched.content == data
        ranged = await http.get(url, headers={"Range": "bytes=1000-1009"})
        assert ranged.status_code == 206
        assert ranged.content == data[1000:1010]
        signature = url.rsplit("X-Amz-Signature=", 1)[1]
        forged = "0" * len(signature) if signature[0] != "0" else "1" * len(signature)
        assert (await http.get(url.replace(signature, forged))).status_code == 403
        other = Digest.of(b"other")
        await store.put(other, b"other")
        swapped = url.replace(digest.hex, other.hex)
        assert (await http.get(swapped)).status_code == 403


async def test_a_presigned_url_is_reused_while_half_its_lifetime_is_left(
    store: S3BlobStore,
) -> None:
    digest = Digest.of(b"one image, many machines")
    await store.put(digest, b"one image, many machines")
    first = await store.presigned_url(digest, 2)
    assert await store.presigned_url(digest, 2) == first  # signed once for the whole fleet
    assert await store.presigned_url(digest, 60) != first
    await anyio.sleep(1.1)  # past half of its 2 seconds: signed anew
    again = await store.presigned_url(digest, 2)
    assert again != first
    async with httpx.AsyncClient() as http:
        assert (await http.get(again)).content == b"one image, many machines"


async def test_an_unreachable_object_store_is_a_503_not_a_crash() -> None:
    closed = S3Location("nowhere", "", "http://127.0.0.1:9", "us-east-1")
    store = S3BlobStore(closed, KEYS)
    with pytest.raises(StorageUnavailable):
        await store.size(Digest.of(b"x"))


async def test_wrong_credentials_are_a_503(location: S3Location) -> None:
    store = S3BlobStore(location, (ACCESS_KEY, "not-the-secret"))
    with pytest.raises(StorageUnavailable):
        await store.start_upload()


async def test_many_tiny_chunks_keep_few_staged_pieces(
    store: S3BlobStore, seaweedfs: SeaweedFS
) -> None:
    data = os.urandom((MAX_PIECES + 2) * 1000)
    upload = await store.start_upload()
    for start in range(0, len(data), 1000):
        await store.append(upload, stream(data[start : start + 1000]), offset=start)
    staged = [k for k in seaweedfs.keys(store.upload_prefix(upload)) if "/staged/" in k]
    assert 1 <= len(staged) <= MAX_PIECES
    await store.commit(upload, Digest.of(data), len(data))
    assert await read_all(store, Digest.of(data)) == data


async def test_leftovers_of_an_upload_without_its_state_are_listed_and_cancelled(
    store: S3BlobStore, seaweedfs: SeaweedFS, location: S3Location
) -> None:
    """A start or a discard that broke off leaves pieces without a state object: housekeeping
    still finds them, and cancel frees them."""
    upload = await store.start_upload()
    await store.append(upload, stream(os.urandom(MIN_PART + 1000)))
    prefix = store.upload_prefix(upload)
    seaweedfs.client().delete_object(Bucket=location.bucket, Key=prefix + "state")
    with pytest.raises(UploadNotFound):
        await store.upload_size(upload)
    sessions = [session async for session in store.list_uploads()]
    assert [session.id for session in sessions] == [upload]
    await store.cancel(upload)
    assert uploads(seaweedfs, location) == []
    assert [session async for session in store.list_uploads()] == []
    with pytest.raises(UploadNotFound):
        await store.cancel(upload)
