"""Quotas through the protocols: a push over a repository's or the instance's quota is
refused (OCI DENIED, generic 413 problem JSON) with a message naming whose quota, how large
and how much is used; nothing is half-stored; ``quotaBytes`` and ``usedBytes`` on the REST
repository; the storage report."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.settings import Settings
from tests.images import sha256
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH, Clock
from tests.integration.generic import blob_files, create_generic, deploy, staged_uploads
from tests.integration.oci import errors, push_blob

pytestmark = pytest.mark.anyio


async def set_quota(client: httpx.AsyncClient, key: str, quota: int | None) -> dict[str, Any]:
    response = await client.patch(
        f"/api/v1/repositories/{key}", json={"quotaBytes": quota}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def denial(response: httpx.Response) -> str:
    """The message of an OCI DENIED answer."""
    assert response.status_code == 403, response.text
    assert errors(response) == ["DENIED"]
    message: str = response.json()["errors"][0]["message"]
    return message


async def linked(client: httpx.AsyncClient, name: str, digest: str) -> bool:
    response = await client.head(f"/v2/{name}/blobs/{digest}", headers=AUTH)
    return response.status_code == 200


# --- REST ----------------------------------------------------------------------------------


async def test_quota_bytes_round_trip_and_used_bytes(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/v1/repositories", json={"key": "team", "quotaBytes": 1000}, headers=AUTH
    )
    assert created.status_code == 201, created.text
    assert (created.json()["quotaBytes"], created.json()["usedBytes"]) == (1000, 0)
    await push_blob(client, "team/app", os.urandom(600))
    shown = (await client.get("/api/v1/repositories/team", headers=AUTH)).json()
    assert (shown["quotaBytes"], shown["usedBytes"]) == (1000, 600)
    assert (await set_quota(client, "team", None))["quotaBytes"] is None
    assert (await set_quota(client, "team", 2048))["usedBytes"] == 600
    # Leaving it out of a change keeps it.
    changed = await client.patch(
        "/api/v1/repositories/team", json={"description": "x"}, headers=AUTH
    )
    assert changed.json()["quotaBytes"] == 2048
    listed = (await client.get("/api/v1/repositories", headers=AUTH)).json()["items"]
    assert {r["key"]: r["usedBytes"] for r in listed} == {
        "dev": 0,
        "prod": 0,
        "staging": 0,
        "team": 600,
    }


async def test_a_malformed_quota_is_400_problem_json(client: httpx.AsyncClient) -> None:
    malformed: list[object] = [-1, "10GiB", True, 1.5, 2**63, {}]
    for quota in malformed:
        for response in (
            await client.post(
                "/api/v1/repositories", json={"key": "team", "quotaBytes": quota}, headers=AUTH
            ),
            await client.patch(
                "/api/v1/repositories/dev", json={"quotaBytes": quota}, headers=AUTH
            ),
        ):
            assert response.status_code == 400, (quota, response.text)
            assert response.headers["Content-Type"] == "application/problem+json"
            assert "'quotaBytes' must be a whole number of bytes" in response.json()["detail"]
    shown = (await client.get("/api/v1/repositories/dev", headers=AUTH)).json()
    assert shown["quotaBytes"] is None
    assert (await client.get("/api/v1/repositories/team", headers=AUTH)).status_code == 404


async def test_only_an_administrator_sets_a_quota(client: httpx.AsyncClient) -> None:
    await create_user(client, "lead", "lead-password")
    await grant(client, "user:lead", ["dev"], ["read", "write", "manage"])
    lead = basic("lead", "lead-password")
    refused = await client.patch("/api/v1/repositories/dev", json={"quotaBytes": 10}, headers=lead)
    assert refused.status_code == 403
    allowed = await client.patch(
        "/api/v1/repositories/dev", json={"description": "d"}, headers=lead
    )
    assert allowed.status_code == 200 and allowed.json()["quotaBytes"] is None


# --- OCI -----------------------------------------------------------------------------------


async def test_a_monolithic_push_over_the_quota_is_denied_before_its_bytes_are_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await set_quota(client, "dev", 1000)
    await push_blob(client, "dev/team/app", os.urandom(800))
    data = os.urandom(300)
    response = await client.post(
        "/v2/dev/team/app/blobs/uploads/",
        params={"digest": sha256(data)},
        content=data,
        headers=AUTH,
    )
    message = denial(response)
    assert "repository 'dev' has a quota of 1 KB and uses 800 B" in message
    assert "this push would add 300 B" in message
    assert response.json()["errors"][0]["detail"]["quotaBytes"] == 1000
    assert not await linked(client, "dev/team/app", sha256(data))
    assert staged_uploads(settings.blob_root) == []
    assert len(blob_files(settings.blob_root)) == 1


async def test_a_completion_over_the_quota_is_denied_and_its_upload_cancelled(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A chunk sent without a length is only known at completion: refused there, with
    nothing linked and the upload gone."""
    await set_quota(client, "dev", 1000)
    data = os.urandom(1200)

    async def chunked() -> AsyncIterator[bytes]:
        yield data[:700]
        yield data[700:]

    started = await client.post("/v2/dev/team/app/blobs/uploads/", headers=AUTH)
    location = started.headers["Location"]
    patched = await client.patch(location, content=chunked(), headers=AUTH)
    assert patched.status_code == 202
    done = await client.put(location, params={"digest": sha256(data)}, headers=AUTH)
    assert "would add 1.17 KiB" in denial(done)
    assert not await linked(client, "dev/team/app", sha256(data))
    gone = await client.get(location, headers=AUTH)
    assert gone.status_code == 404 and errors(gone) == ["BLOB_UPLOAD_UNKNOWN"]
    assert staged_uploads(settings.blob_root) == []
    assert blob_files(settings.blob_root) == []


async def test_a_chunk_with_a_length_over_the_quota_is_refused_before_it_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await set_quota(client, "dev", 1000)
    started = await client.post("/v2/dev/team/app/blobs/uploads/", headers=AUTH)
    location = started.headers["Location"]
    first = await client.patch(location, content=os.urandom(600), headers=AUTH)
    assert first.status_code == 202
    read: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(b"x" * 500)
        yield read[-1]

    refused = await client.patch(
        location,
        content=body(),
        headers={**AUTH, "Content-Length": "500", "Content-Range": "600-1099"},
    )
    assert "this push would add 1.07 KiB" in denial(refused)  # the whole upload
    assert read == []
    assert (await client.get(location, headers=AUTH)).status_code == 404
    assert staged_uploads(settings.blob_root) == []


async def test_content_the_repository_holds_is_never_refused(client: httpx.AsyncClient) -> None:
    layer = os.urandom(1000)
    digest = await push_blob(client, "dev/team/app", layer)
    await set_quota(client, "dev", 1000)  # full
    await push_blob(client, "dev/team/other", layer)
    mounted = await client.post(
        "/v2/dev/team/third/blobs/uploads/",
        params={"mount": digest, "from": "dev/team/app"},
        headers=AUTH,
    )
    assert mounted.status_code == 201
    assert "uses 1 KB" in denial(
        await client.post(
            "/v2/dev/team/app/blobs/uploads/",
            params={"digest": sha256(b"1")},
            content=b"1",
            headers=AUTH,
        )
    )


async def test_a_mount_into_a_full_repository_is_denied(client: httpx.AsyncClient) -> None:
    digest = await push_blob(client, "dev/team/app", os.urandom(500))
    await set_quota(client, "staging", 100)
    mounted = await client.post(
        "/v2/staging/team/app/blobs/uploads/",
        params={"mount": digest, "from": "dev/team/app"},
        headers=AUTH,
    )
    assert "repository 'staging' has a quota of 100 B and uses 0 B" in denial(mounted)
    assert not await linked(client, "staging/team/app", digest)


# --- generic -------------------------------------------------------------------------------


async def test_a_file_over_the_quota_is_413_problem_json_before_its_body_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create_generic(client, "files")
    await set_quota(client, "files", 1000)
    await deploy(client, "files", "a.bin", os.urandom(900))
    read: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(b"x" * 200)
        yield read[-1]

    response = await client.put(
        "/generic/files/b.bin", content=body(), headers={**AUTH, "Content-Length": "200"}
    )
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413 and problem["title"] == "Quota exceeded"
    assert "repository 'files' has a quota of 1 KB and uses 900 B" in problem["detail"]
    assert "this push would add 200 B" in problem["detail"]
    assert problem["errors"] == [{"status": 413, "message": problem["detail"]}]
    assert read == []
    assert (await client.get("/generic/files/b.bin", headers=AUTH)).status_code == 404


async def test_a_file_sent_without_a_length_is_refused_once_read_with_nothing_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create_generic(client, "files")
    await set_quota(client, "files", 100)

    async def body() -> AsyncIterator[bytes]:
        yield os.urandom(150)

    response = await client.put("/generic/files/b.bin", content=body(), headers=AUTH)
    assert response.status_code == 413
    assert "would add 150 B" in response.json()["detail"]
    assert staged_uploads(settings.blob_root) == []
    assert blob_files(settings.blob_root) == []


@pytest.fixture
def limited(settings: Settings, clock: Clock) -> Iterator[httpx.AsyncClient]:
    """A client of an instance whose quota is 1000 bytes."""
    limited_settings = replace(settings, quota_bytes=1000)
    prepare(limited_settings)
    store, meta = open_stores(limited_settings, migrate=False)
    registry = build_registry(limited_settings, store, meta, clock)
    transport = httpx.ASGITransport(app=build_app(registry))
    yield httpx.AsyncClient(transport=transport, base_url="http://registry")
    meta.close()


async def test_the_instance_quota_names_the_instance(limited: httpx.AsyncClient) -> None:
    await create_generic(limited, "files")
    shared = os.urandom(800)
    await deploy(limited, "files", "a.bin", shared)
    await push_blob(limited, "dev/team/app", shared)  # stored already: costs nothing
    response = await limited.put("/generic/files/b.bin", content=os.urandom(300), headers=AUTH)
    assert response.status_code == 413
    assert "the instance has a quota of 1 KB and uses 800 B" in response.json()["detail"]
    assert "CARGOHOLD_QUOTA_BYTES" in response.json()["detail"]
    storage = (await limited.get("/api/v1/storage", headers=AUTH)).json()["instance"]
    assert (storage["quotaBytes"], storage["storedBytes"], storage["logicalBytes"]) == (
        1000,
        800,
        1600,
    )


# --- the storage report --------------------------------------------------------------------


async def test_the_storage_report_on_a_known_set_of_pushes(client: httpx.AsyncClient) -> None:
    shared, second, third = os.urandom(1000), os.urandom(500), os.urandom(300)
    for name, blob in (
        ("dev/team/app", shared),
        ("dev/team/app", second),
        ("dev/team/api", shared),
        ("dev/team/api", third),
        ("staging/team/app", shared),
    ):
        await push_blob(client, name, blob)
    await set_quota(client, "staging", 10_000)

    report = (await client.get("/api/v1/storage", headers=AUTH)).json()
    by_key = {r["key"]: r for r in report["repositories"]}
    assert {k: (r["usedBytes"], r["quotaBytes"]) for k, r in by_key.items()} == {
        "dev": (1800, None),
        "prod": (0, None),
        "staging": (1000, 10_000),
    }
    assert [(i["name"], i["usedBytes"], i["blobs"]) for i in by_key["dev"]["images"]] == [
        ("team/app", 1500, 2),
        ("team/api", 1300, 2),
    ]
    assert report["instance"] == {
        "storedBytes": 1800,
        "storedBlobs": 3,
        "logicalBytes": 2800,
        "deduplicationRatio": pytest.approx(2800 / 1800),
        "quotaBytes": None,
    }

    await create_user(client, "reader", "reader-password")
    await grant(client, "user:reader", ["staging"], ["read"])
    seen = (await client.get("/api/v1/storage", headers=basic("reader", "reader-password"))).json()
    # dev lets anyone read it (conftest); prod is not the reader's to see
    assert [r["key"] for r in seen["repositories"]] == ["dev", "staging"]
    assert seen["instance"] is None
    anonymous = await client.get("/api/v1/storage")
    assert anonymous.status_code == 401
