"""The registry with its blobs in an object store (SeaweedFS): pushes and pulls stream through
it, and with presigned redirects on, a blob GET sends the client to the object store."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.settings import Settings
from tests.images import sha256
from tests.integration.conftest import AUTH, LOOPBACK, PASSWORD
from tests.integration.oci import errors, push_blob
from tests.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

pytestmark = pytest.mark.anyio
NAME = "dev/team/app"


def s3_settings(tmp_path: Path, seaweedfs: SeaweedFS, **more: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        webhook_allowed_networks=(LOOPBACK,),
        storage_url=seaweedfs.url(tmp_path.name),
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """As an operator gives them: in the standard environment variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)


@pytest.fixture(params=["stream", "presigned"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, seaweedfs: SeaweedFS) -> Settings:
    if request.param == "presigned":
        return s3_settings(tmp_path, seaweedfs, blob_redirect="presigned", blob_redirect_expiry=60)
    return s3_settings(tmp_path, seaweedfs)


async def fetch(client: httpx.AsyncClient, url: str, **headers: str) -> httpx.Response:
    """GET as a client does: a redirect to the object store is followed over the network."""
    response = await client.get(url, headers=headers)
    if response.status_code != 307:
        return response
    async with httpx.AsyncClient() as outside:
        return await outside.get(response.headers["Location"], headers=headers)


async def test_chunked_push_then_pull(
    client: httpx.AsyncClient, settings: Settings, seaweedfs: SeaweedFS
) -> None:
    data = os.urandom(6 * 1024 * 1024 + 5)
    started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    location = started.headers["Location"]
    for start in range(0, len(data), 2 * 1024 * 1024):
        chunk = data[start : start + 2 * 1024 * 1024]
        patched = await client.patch(
            location,
            content=chunk,
            headers={**AUTH, "Content-Range": f"{start}-{start + len(chunk) - 1}"},
        )
        assert patched.status_code == 202, patched.text
        location = patched.headers["Location"]
    done = await client.put(location, params={"digest": sha256(data)}, headers=AUTH)
    assert done.status_code == 201, done.text
    pulled = await fetch(client, f"/v2/{NAME}/blobs/{sha256(data)}")
    assert pulled.status_code == 200
    assert pulled.content == data
    ranged = await fetch(client, f"/v2/{NAME}/blobs/{sha256(data)}", Range="bytes=5000000-5000009")
    assert ranged.status_code == 206
    assert ranged.content == data[5_000_000:5_000_010]
    assert seaweedfs.keys(f"{Path(settings.data_dir).parent.name}/uploads/") == []


async def test_a_blob_get_redirects_only_when_asked(
    client: httpx.AsyncClient, settings: Settings, seaweedfs: SeaweedFS
) -> None:
    data = b"layer bytes " * 1000
    digest = await push_blob(client, NAME, data)
    got = await client.get(f"/v2/{NAME}/blobs/{digest}")
    if settings.blob_redirect == "presigned":
        assert got.status_code == 307
        assert got.headers["Docker-Content-Digest"] == digest
        assert got.headers["Location"].startswith(seaweedfs.endpoint + "/")
        assert "X-Amz-Expires=60" in got.headers["Location"]
        assert got.content == b""
    else:
        assert got.status_code == 200
        assert got.content == data
    # HEAD answers from the registry itself either way.
    head = await client.head(f"/v2/{NAME}/blobs/{digest}")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))
    assert head.headers["Docker-Content-Digest"] == digest
    followed = await fetch(client, f"/v2/{NAME}/blobs/{digest}")
    assert followed.status_code == 200
    assert followed.content == data


async def test_a_blob_lost_from_the_object_store_is_unknown_not_sent_elsewhere(
    client: httpx.AsyncClient, settings: Settings, seaweedfs: SeaweedFS
) -> None:
    """Bytes deleted behind cargohold's back: a GET says so before sending anything (or
    anyone to the object store). What was found there is remembered until the metadata next
    changes, as cargohold itself removes bytes only with a metadata write."""
    prefix = Path(settings.data_dir).parent.name
    lost, served = (
        await push_blob(client, NAME, b"lost " * 100),
        await push_blob(client, NAME, b"served " * 100),
    )
    assert (await client.get(f"/v2/{NAME}/blobs/{served}")).status_code in (200, 307)
    for digest in (lost, served):
        [key] = seaweedfs.keys(f"{prefix}/blobs/sha256/{digest[7:9]}/{digest[7:]}")
        seaweedfs.client().delete_object(Bucket=seaweedfs.location().bucket, Key=key)

    missing = await client.get(f"/v2/{NAME}/blobs/{lost}")
    assert missing.status_code == 404
    assert errors(missing) == ["BLOB_UNKNOWN"]
    assert "missing from storage" in missing.json()["errors"][0]["message"]
    await push_blob(client, NAME, b"a later push " * 100)  # any metadata write
    assert (await client.get(f"/v2/{NAME}/blobs/{served}")).status_code == 404


async def test_no_redirect_without_access(client: httpx.AsyncClient, settings: Settings) -> None:
    """Only an authorised GET gets a URL: staging is not open to anonymous reads."""
    digest = await push_blob(client, "staging/team/app", b"private layer")
    refused = await client.get(f"/v2/staging/team/app/blobs/{digest}")
    assert refused.status_code == 401
    assert "Location" not in refused.headers
    unknown = await client.get(f"/v2/{NAME}/blobs/{sha256(b'never pushed')}")
    assert unknown.status_code == 404


async def test_an_unreachable_object_store_is_a_503(tmp_path: Path) -> None:
    """Nothing listens on the discard port: the client is told to retry, and the object
    store's address stays in the server's log."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        storage_url="s3://nowhere/blobs?endpoint=http://127.0.0.1:9",
    )
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    try:
        transport = httpx.ASGITransport(app=build_app(build_registry(settings, store, meta)))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
            response = await http.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
    finally:
        meta.close()
    assert response.status_code == 503
    assert errors(response) == ["UNAVAILABLE"]
    assert "retry" in response.text
    assert "127.0.0.1:9" not in response.text
