"""Blob uploads as the distribution-spec describes them, and reading blobs back."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.images import sha256
from tests.integration.conftest import AUTH
from tests.integration.oci import errors, push_blob

pytestmark = pytest.mark.anyio
NAME = "dev/team/app"


async def test_monolithic_post_then_put(client: httpx.AsyncClient) -> None:
    data = os.urandom(100_000)
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    assert started.status_code == 202
    location = started.headers["Location"]
    assert started.headers["Docker-Upload-UUID"] in location
    done = await client.put(location, params={"digest": sha256(data)}, content=data, headers=AUTH)
    assert done.status_code == 201
    assert done.headers["Docker-Content-Digest"] == sha256(data)
    fetched = await client.get(done.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["Docker-Content-Digest"] == sha256(data)


async def test_single_request_post_with_digest(client: httpx.AsyncClient) -> None:
    digest = await push_blob(client, NAME, b"single request")
    head = await client.head(f"/v2/{NAME}/blobs/{digest}")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(b"single request"))
    assert head.headers["Docker-Distribution-API-Version"] == "registry/2.0"


async def test_chunked_upload_with_status_and_resume(client: httpx.AsyncClient) -> None:
    data = os.urandom(3 * 65536 + 17)
    chunks = [data[:65536], data[65536 : 2 * 65536], data[2 * 65536 :]]
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    location = started.headers["Location"]
    offset = 0
    for chunk in chunks[:2]:
        end = offset + len(chunk) - 1
        patched = await client.patch(
            location,
            content=chunk,
            headers={
                **AUTH,
                "Content-Range": f"{offset}-{end}",
                "Content-Type": "application/octet-stream",
            },
        )
        assert patched.status_code == 202, patched.text
        assert patched.headers["Range"] == f"0-{end}"
        location = patched.headers["Location"]
        offset = end + 1
    # A client that restarted asks where the upload stands, then continues from there.
    status = await client.get(location, headers=AUTH)
    assert status.status_code == 204
    assert status.headers["Range"] == f"0-{offset - 1}"
    done = await client.put(
        status.headers["Location"],
        params={"digest": sha256(data)},
        content=chunks[2],
        headers={**AUTH, "Content-Range": f"{offset}-{len(data) - 1}"},
    )
    assert done.status_code == 201, done.text
    assert (await client.get(f"/v2/{NAME}/blobs/{sha256(data)}")).content == data


async def test_out_of_order_chunk_is_416(client: httpx.AsyncClient) -> None:
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    location = started.headers["Location"]
    first = await client.patch(location, content=b"abcd", headers={**AUTH, "Content-Range": "0-3"})
    assert first.status_code == 202
    skipped = await client.patch(
        location, content=b"ijkl", headers={**AUTH, "Content-Range": "8-11"}
    )
    assert skipped.status_code == 416
    assert skipped.headers["Range"] == "0-3"
    assert errors(skipped) == ["BLOB_UPLOAD_INVALID"]


async def test_streamed_patch_without_content_range(client: httpx.AsyncClient) -> None:
    """docker pushes a layer as one PATCH with no Content-Range, then PUT ?digest."""
    data = os.urandom(2 * 1024 * 1024 + 5)

    async def body() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]

    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    patched = await client.patch(started.headers["Location"], content=body(), headers=AUTH)
    assert patched.status_code == 202
    assert patched.headers["Range"] == f"0-{len(data) - 1}"
    done = await client.put(
        patched.headers["Location"], params={"digest": sha256(data)}, headers=AUTH
    )
    assert done.status_code == 201


async def test_cancelled_upload_is_gone(client: httpx.AsyncClient) -> None:
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    location = started.headers["Location"]
    assert (await client.delete(location, headers=AUTH)).status_code == 204
    status = await client.get(location, headers=AUTH)
    assert status.status_code == 404
    assert errors(status) == ["BLOB_UPLOAD_UNKNOWN"]


async def test_sha512_digest(client: httpx.AsyncClient) -> None:
    data = b"sha512 content"
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    done = await client.post(
        f"/v2/{NAME}/blobs/uploads/", params={"digest": digest}, content=data, headers=AUTH
    )
    assert done.status_code == 201
    fetched = await client.get(f"/v2/{NAME}/blobs/{digest}")
    assert fetched.content == data
    assert fetched.headers["Docker-Content-Digest"] == digest


async def test_range_requests(client: httpx.AsyncClient) -> None:
    data = bytes(range(256)) * 40
    digest = await push_blob(client, NAME, data)
    part = await client.get(f"/v2/{NAME}/blobs/{digest}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = await client.get(f"/v2/{NAME}/blobs/{digest}", headers={"Range": "bytes=-5"})
    assert tail.content == data[-5:]
    beyond = await client.get(f"/v2/{NAME}/blobs/{digest}", headers={"Range": "bytes=99999-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"


async def test_cross_repository_mount(client: httpx.AsyncClient) -> None:
    digest = await push_blob(client, "dev/source/app", b"shared layer")
    mounted = await client.post(
        "/v2/prod/target/app/blobs/uploads/",
        params={"mount": digest, "from": "dev/source/app"},
        headers=AUTH,
    )
    assert mounted.status_code == 201
    assert mounted.headers["Location"] == f"/v2/prod/target/app/blobs/{digest}"
    mounted_blob = await client.get(f"/v2/prod/target/app/blobs/{digest}", headers=AUTH)
    assert mounted_blob.content == b"shared layer"


async def test_mount_of_unknown_blob_starts_an_upload(client: httpx.AsyncClient) -> None:
    missing = sha256(b"never pushed")
    response = await client.post(
        "/v2/prod/target/app/blobs/uploads/",
        params={"mount": missing, "from": "dev/source/app"},
        headers=AUTH,
    )
    assert response.status_code == 202
    assert "/blobs/uploads/" in response.headers["Location"]


async def test_blob_is_readable_only_where_linked(client: httpx.AsyncClient) -> None:
    digest = await push_blob(client, "dev/one/app", b"private to dev/one")
    elsewhere = await client.get(f"/v2/dev/two/app/blobs/{digest}")
    assert elsewhere.status_code == 404
    assert errors(elsewhere) == ["BLOB_UNKNOWN"]


async def test_delete_blob(client: httpx.AsyncClient) -> None:
    digest = await push_blob(client, NAME, b"to be deleted")
    assert (await client.delete(f"/v2/{NAME}/blobs/{digest}", headers=AUTH)).status_code == 202
    assert (await client.head(f"/v2/{NAME}/blobs/{digest}")).status_code == 404
