"""Every malformed request gets the spec's error code, a 4xx and a message; never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from cargohold.core.manifest import MAX_MANIFEST_BYTES
from tests.images import OCI_MANIFEST, make_image, sha256
from tests.integration.conftest import AUTH
from tests.integration.oci import errors, push_blob, put_manifest

pytestmark = pytest.mark.anyio
NAME = "dev/team/app"


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert [e["code"] for e in body["errors"]] == [code]
    assert body["errors"][0]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/v2/Dev/App/manifests/latest",
        "/v2/dev/app..x/manifests/latest",
        "/v2/dev/-app/manifests/latest",
        "/v2/dev/" + "a/" * 200 + "x/manifests/latest",
        "/v2/onlykey/manifests/latest",
    ],
)
async def test_malformed_names_and_references(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(path), 400, "NAME_INVALID")


@pytest.mark.parametrize("tag", ["bad*tag", ".hidden", "t" * 200])
async def test_malformed_tags(client: httpx.AsyncClient, tag: str) -> None:
    # No manifest can carry such a tag: pulling it is "unknown", pushing it is invalid.
    assert_error(await client.get(f"/v2/{NAME}/manifests/{tag}"), 404, "MANIFEST_UNKNOWN")
    assert (await client.head(f"/v2/{NAME}/manifests/{tag}")).status_code == 404
    pushed = await client.put(
        f"/v2/{NAME}/manifests/{tag}", content=b"{}", headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    assert_error(pushed, 400, "NAME_INVALID")


@pytest.mark.parametrize(
    "digest",
    ["sha256:xyz", "sha256:" + "A" * 64, "md5:" + "a" * 32, "sha256", "sha256:" + "a" * 63],
)
async def test_malformed_digests(client: httpx.AsyncClient, digest: str) -> None:
    assert_error(await client.get(f"/v2/{NAME}/blobs/{digest}"), 400, "DIGEST_INVALID")
    posted = await client.post(
        f"/v2/{NAME}/blobs/uploads/", params={"digest": digest}, content=b"x", headers=AUTH
    )
    assert_error(posted, 400, "DIGEST_INVALID")


async def test_blob_bytes_that_do_not_match_the_digest(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v2/{NAME}/blobs/uploads/",
        params={"digest": sha256(b"claimed")},
        content=b"actual",
        headers=AUTH,
    )
    assert_error(response, 400, "DIGEST_INVALID")
    assert (await client.head(f"/v2/{NAME}/blobs/{sha256(b'claimed')}")).status_code == 404
    assert (await client.head(f"/v2/{NAME}/blobs/{sha256(b'actual')}")).status_code == 404


async def test_put_without_digest(client: httpx.AsyncClient) -> None:
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    assert_error(await client.put(started.headers["Location"], headers=AUTH), 400, "DIGEST_INVALID")


@pytest.mark.parametrize("content_range", ["abc", "5-2", "bytes=x-y", "-1-3"])
async def test_malformed_content_range(client: httpx.AsyncClient, content_range: str) -> None:
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    response = await client.patch(
        started.headers["Location"],
        content=b"data",
        headers={**AUTH, "Content-Range": content_range},
    )
    assert_error(response, 400, "BLOB_UPLOAD_INVALID")


@pytest.mark.parametrize(
    "upload",
    ["00000000000000000000000000000000", "ABCDEF00000000000000000000000000", "not-a-uuid", "..."],
)
async def test_unknown_upload_ids(client: httpx.AsyncClient, upload: str) -> None:
    location = f"/v2/{NAME}/blobs/uploads/{upload}"
    assert_error(await client.get(location, headers=AUTH), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(
        await client.patch(location, content=b"x", headers=AUTH), 404, "BLOB_UPLOAD_UNKNOWN"
    )
    done = await client.put(location, params={"digest": sha256(b"x")}, content=b"x", headers=AUTH)
    assert_error(done, 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(await client.delete(location, headers=AUTH), 404, "BLOB_UPLOAD_UNKNOWN")


async def test_upload_id_of_another_image(client: httpx.AsyncClient) -> None:
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    upload = started.headers["Docker-Upload-UUID"]
    stolen = await client.get(f"/v2/dev/other/app/blobs/uploads/{upload}", headers=AUTH)
    assert_error(stolen, 404, "BLOB_UPLOAD_UNKNOWN")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"schemaVersion": 1}',
        b'{"schemaVersion": 2}',
        b'{"schemaVersion": 2, "config": "x", "layers": []}',
        b'{"schemaVersion": 2, "config": {"mediaType": "a/b", "digest": "sha256:zz", "size": 1}}',
        b'{"schemaVersion": 2, "config": {"mediaType": "a/b", "digest": "'
        + sha256(b"c").encode()
        + b'", "size": -1}}',
        b'{"schemaVersion": 2, "mediaType": "application/x-unknown", "layers": []}',
        b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}',
        b"\xff\xfe\x00",
    ],
)
async def test_malformed_manifests(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.put(
        f"/v2/{NAME}/manifests/bad", content=body, headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    assert_error(response, 400, "MANIFEST_INVALID")


async def test_content_type_that_contradicts_the_manifest(client: httpx.AsyncClient) -> None:
    image = make_image([{"x": b"y"}])
    for blob in image.blobs:
        await push_blob(client, NAME, blob)
    document = {**json.loads(image.manifest), "mediaType": OCI_MANIFEST}
    response = await put_manifest(
        client, NAME, "mixed", document, "application/vnd.docker.distribution.manifest.v2+json"
    )
    assert_error(response, 400, "MANIFEST_INVALID")


async def test_oversized_manifest(client: httpx.AsyncClient) -> None:
    body = b'{"schemaVersion": 2, "annotations": {"a": "' + b"x" * MAX_MANIFEST_BYTES + b'"}}'
    response = await client.put(
        f"/v2/{NAME}/manifests/huge", content=body, headers={**AUTH, "Content-Type": OCI_MANIFEST}
    )
    assert_error(response, 413, "MANIFEST_INVALID")


async def test_unknown_repository_key_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/v2/nosuchrepo/app/blobs/uploads/", headers=AUTH)
    assert_error(response, 404, "NAME_UNKNOWN")
    assert "nosuchrepo" in response.json()["errors"][0]["message"]


async def test_unknown_blob_and_manifest(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"/v2/{NAME}/blobs/{sha256(b'none')}"), 404, "BLOB_UNKNOWN")
    assert_error(await client.get(f"/v2/{NAME}/manifests/nope"), 404, "MANIFEST_UNKNOWN")
    deleted = await client.delete(f"/v2/{NAME}/manifests/{sha256(b'none')}", headers=AUTH)
    assert_error(deleted, 404, "MANIFEST_UNKNOWN")


@pytest.mark.parametrize("n", ["-1", "abc", "1e9", "99999999999"])
async def test_bad_pagination(client: httpx.AsyncClient, n: str) -> None:
    response = await client.get("/v2/_catalog", params={"n": n})
    assert_error(response, 400, "PAGINATION_NUMBER_INVALID")


async def test_unsupported_method_and_unknown_path(client: httpx.AsyncClient) -> None:
    wrong_method = await client.post(f"/v2/{NAME}/manifests/x", headers=AUTH)
    assert_error(wrong_method, 405, "UNSUPPORTED")
    assert wrong_method.headers["Allow"] == "GET, HEAD, PUT, DELETE"
    assert_error(await client.get("/v2/dev/app/whatever"), 404, "NOT_FOUND")


async def test_writes_need_credentials(client: httpx.AsyncClient) -> None:
    anonymous = await client.post(f"/v2/{NAME}/blobs/uploads/")
    assert_error(anonymous, 401, "UNAUTHORIZED")
    assert anonymous.headers["WWW-Authenticate"] == (
        'Bearer realm="http://registry/v2/token",service="cargohold",'
        f'scope="repository:{NAME}:pull,push"'
    )
    wrong = await client.post(
        f"/v2/{NAME}/blobs/uploads/", auth=httpx.BasicAuth("admin", "wrong password")
    )
    assert_error(wrong, 401, "UNAUTHORIZED")
    garbled = await client.get(f"/v2/{NAME}/tags/list", headers={"Authorization": "Basic !!!"})
    assert_error(garbled, 401, "UNAUTHORIZED")
    bearer = await client.get(f"/v2/{NAME}/tags/list", headers={"Authorization": "Bearer abc"})
    assert_error(bearer, 401, "UNAUTHORIZED")
    assert 'error="invalid_token"' in bearer.headers["WWW-Authenticate"]


async def test_anonymous_read_follows_the_repository_setting(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/v1/repositories", json={"key": "private", "anonymousRead": False}, headers=AUTH
    )
    assert created.status_code == 201
    image = make_image([{"private": b"data"}])
    for blob in image.blobs:
        await push_blob(client, "private/app", blob)
    await put_manifest(client, "private/app", "1", json.loads(image.manifest))
    assert_error(await client.get("/v2/private/app/manifests/1"), 401, "UNAUTHORIZED")
    assert (await client.get("/v2/private/app/manifests/1", headers=AUTH)).status_code == 200
    assert (await client.get("/v2/_catalog")).json()["repositories"] == []
    assert errors(await client.get("/v2/private/app/tags/list")) == ["UNAUTHORIZED"]


async def test_images_go_only_to_docker_repositories(client: httpx.AsyncClient) -> None:
    await client.post(
        "/api/v1/repositories", json={"key": "files", "format": "generic"}, headers=AUTH
    )
    response = await client.post("/v2/files/app/blobs/uploads/", headers=AUTH)
    assert_error(response, 404, "NAME_UNKNOWN")
    assert (
        "holds generic artifacts, not container images" in response.json()["errors"][0]["message"]
    )
