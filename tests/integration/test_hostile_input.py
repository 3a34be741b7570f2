"""What a hostile client sends: documents nested past any limit, numbers of thousands of
digits, digests that are not digests. Each gets the protocol's own 4xx naming the limit."""

from __future__ import annotations

import json

import httpx
import pytest

from cargohold.core.manifest import MAX_MANIFEST_BYTES
from tests.images import OCI_MANIFEST, make_image, sha256
from tests.integration.conftest import AUTH
from tests.integration.oci import push_blob, push_image

pytestmark = pytest.mark.anyio
NAME = "dev/hostile/app"


def oci_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert [e["code"] for e in body["errors"]] == [code]
    message: str = body["errors"][0]["message"]
    assert message
    return message


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    return detail


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


def manifest_with(field: bytes) -> bytes:
    return b'{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST.encode() + b'", ' + field + b"}"


@pytest.mark.parametrize("depth", [10_000, 1_000_000])
@pytest.mark.parametrize("where", ["body", "field", "object"])
async def test_deeply_nested_manifests(client: httpx.AsyncClient, depth: int, where: str) -> None:
    body = {
        "body": nested(depth),
        "field": manifest_with(b'"annotations": ' + nested(depth)),
        "object": manifest_with(b'"config": ' + b'{"a":' * depth + b"1" + b"}" * depth),
    }[where]
    response = await client.put(
        f"/v2/{NAME}/manifests/deep", content=body, headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    if len(body) > MAX_MANIFEST_BYTES:  # refused for its size before it is parsed
        assert "the limit is" in oci_error(response, 413, "MANIFEST_INVALID")
    else:
        assert "deeper than 64 levels" in oci_error(response, 400, "MANIFEST_INVALID")


async def test_nesting_just_within_the_limit_is_read(client: httpx.AsyncClient) -> None:
    body = manifest_with(b'"annotations": {"a": "b"}, "x": ' + nested(62))
    response = await client.put(
        f"/v2/{NAME}/manifests/deep", content=body, headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    # read fine, and then refused for what it lacks, not for its depth
    assert "an image manifest must have a 'config'" in oci_error(response, 400, "MANIFEST_INVALID")


@pytest.mark.parametrize("digits", [5_000, 100_000])
async def test_number_literals_of_thousands_of_digits(
    client: httpx.AsyncClient, digits: int
) -> None:
    image = make_image([{"n": b"1"}])
    for blob in image.blobs:
        await push_blob(client, NAME, blob)
    config = image.blobs[0]
    body = manifest_with(
        b'"config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "'
        + sha256(config).encode()
        + b'", "size": '
        + b"9" * digits
        + b'}, "layers": []'
    )
    response = await client.put(
        f"/v2/{NAME}/manifests/big", content=body, headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    message = oci_error(response, 400, "MANIFEST_INVALID")
    assert f"number literal has {digits} characters; the limit is 100" in message


async def test_a_size_beyond_64_bits(client: httpx.AsyncClient) -> None:
    body = manifest_with(
        b'"config": {"mediaType": "a/b", "digest": "'
        + sha256(b"c").encode()
        + b'", "size": 18446744073709551615}, "layers": []'
    )
    response = await client.put(
        f"/v2/{NAME}/manifests/big", content=body, headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    assert "size must be an integer from 0 to" in oci_error(response, 400, "MANIFEST_INVALID")


async def test_a_range_of_thousands_of_digits(client: httpx.AsyncClient) -> None:
    data = b"some blob bytes"
    digest = await push_blob(client, NAME, data)
    huge = "8" * 8_000
    for header in (f"bytes={huge}-", f"bytes={huge}-{huge}", f"bytes=0-{huge}", f"bytes=-{huge}"):
        response = await client.get(f"/v2/{NAME}/blobs/{digest}", headers={**AUTH, "Range": header})
        if header.startswith(("bytes=0-", "bytes=-")):
            # From 0 to past the end, or a suffix longer than the blob: the whole blob.
            assert response.status_code == 206, response.text
            assert response.content == data
            assert response.headers["Content-Range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
        else:
            oci_error(response, 416, "RANGE_INVALID")
            assert response.headers["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize("content_range", ["0-" + "9" * 10_000, "9" * 10_000 + "-" + "9" * 10_000])
async def test_a_content_range_of_thousands_of_digits(
    client: httpx.AsyncClient, content_range: str
) -> None:
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    response = await client.patch(
        started.headers["Location"],
        content=b"data",
        headers={**AUTH, "Content-Range": content_range},
    )
    oci_error(response, 416, "BLOB_UPLOAD_INVALID")
    # the upload is still there, at offset 0
    status = await client.get(started.headers["Location"], headers=AUTH)
    assert status.status_code == 204


@pytest.mark.parametrize(
    "digest", ["sha256:xyz", "sha256:" + "A" * 64, "nodigest", "sha256:" + "a" * 63]
)
async def test_referrers_of_a_malformed_digest(client: httpx.AsyncClient, digest: str) -> None:
    await push_image(client, NAME, "1", make_image([{"r": b"1"}]))
    response = await client.get(f"/v2/{NAME}/referrers/{digest}", headers=AUTH)
    oci_error(response, 400, "DIGEST_INVALID")


@pytest.mark.parametrize("n", ["9" * 5_000, "²", "1" + "0" * 19])
async def test_page_sizes_beyond_any_integer(client: httpx.AsyncClient, n: str) -> None:
    oci_error(await client.get("/v2/_catalog", params={"n": n}), 400, "PAGINATION_NUMBER_INVALID")
    rest = await client.get("/api/v1/repositories", params={"limit": n}, headers=AUTH)
    assert "limit must be a whole number" in problem(rest, 400)


@pytest.mark.parametrize("after", ["9" * 5_000, "abc", "²"])
async def test_numeric_cursors_that_are_not(client: httpx.AsyncClient, after: str) -> None:
    response = await client.get("/api/v1/audit", params={"after": after}, headers=AUTH)
    assert "not a cursor" in problem(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        nested(100_000),
        b'{"key": "x", "description": ' + nested(1_000) + b"}",
        b'{"key": "x", "n": ' + b"7" * 5_000 + b"}",
    ],
)
async def test_rest_bodies_nested_or_numbered_past_the_limit(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/api/v1/repositories",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    detail = problem(response, 400)
    assert "deeper than 64 levels" in detail or "the limit is 100" in detail


async def test_a_rest_body_over_its_size_is_413_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/repositories",
        content=b'{"key": "' + b"k" * (2 * 1024 * 1024) + b'"}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert "the limit is 1048576" in problem(response, 413)


async def test_build_info_may_nest_deeper_than_a_request(client: httpx.AsyncClient) -> None:
    build = {
        "name": "deep",
        "number": "1",
        "started": "2026-01-01T00:00:00Z",
        "properties": {"p": "v"},
    }
    deep = json.dumps(build)[:-1].encode() + b', "modules": [{"id": "m", "x": ' + nested(100)
    response = await client.put(
        "/api/v1/builds",
        content=deep + b"}]}",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    # read (128 levels for build documents), then refused for the unknown module field only
    assert "deeper" not in response.text
    too_deep = deep.replace(nested(100), nested(200))
    response = await client.put(
        "/api/v1/builds",
        content=too_deep + b"}]}",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert "deeper than 128 levels" in problem(response, 400)
