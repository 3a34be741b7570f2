"""Clients racing on the same tag or the same blob end in one consistent state."""

from __future__ import annotations

import os

import anyio
import httpx
import pytest

from cargohold.settings import Settings
from tests.images import make_image, sha256
from tests.integration.conftest import AUTH
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio
NAME = "dev/race/app"


async def test_two_pushes_of_one_tag(client: httpx.AsyncClient) -> None:
    images = [make_image([{"who": str(i).encode()}]) for i in range(6)]
    async with anyio.create_task_group() as group:
        for image in images:
            group.start_soon(push_image, client, NAME, "latest", image)
    final = await client.get(f"/v2/{NAME}/manifests/latest")
    assert final.status_code == 200
    assert final.content in {image.manifest for image in images}
    assert final.headers["Docker-Content-Digest"] == sha256(final.content)
    tags = await client.get(f"/v2/{NAME}/tags/list")
    assert tags.json()["tags"] == ["latest"]


async def test_same_blob_uploaded_twice_at_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    data = os.urandom(1024 * 1024)
    digest = sha256(data)
    statuses: list[int] = []

    async def upload() -> None:
        started = await client.post(f"/v2/{NAME}/blobs/uploads/", headers=AUTH)
        patched = await client.patch(started.headers["Location"], content=data, headers=AUTH)
        done = await client.put(
            patched.headers["Location"], params={"digest": digest}, headers=AUTH
        )
        statuses.append(done.status_code)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(upload)
    assert statuses == [201] * 4
    assert (await client.get(f"/v2/{NAME}/blobs/{digest}")).content == data
    stored = list((settings.blob_root / "blobs").rglob(digest.removeprefix("sha256:")))
    assert len(stored) == 1
    assert list((settings.blob_root / "uploads").iterdir()) == []
