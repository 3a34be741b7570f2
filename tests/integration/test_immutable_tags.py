"""Repositories with immutable tags: an existing tag can be neither overwritten nor deleted;
new tags are fine. prod has them from the first start."""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.images import OCI_MANIFEST, make_image
from tests.integration.conftest import AUTH
from tests.integration.oci import push_blob, push_image

pytestmark = pytest.mark.anyio

NAME = "prod/team/app"


async def test_prod_has_immutable_tags(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/v1/repositories", headers=AUTH)).json()["items"]
    assert {r["key"]: r["immutableTags"] for r in listed} == {
        "dev": False,
        "prod": True,
        "staging": False,
    }


async def test_a_tag_cannot_move_or_go(client: httpx.AsyncClient) -> None:
    first, second = make_image([{"v": b"1"}]), make_image([{"v": b"2"}])
    digest = await push_image(client, NAME, "1.0", first)
    assert await push_image(client, NAME, "1.0", first) == digest  # the same push again is fine
    for blob in second.blobs:
        await push_blob(client, NAME, blob)
    overwrite = await client.put(
        f"/v2/{NAME}/manifests/1.0",
        content=second.manifest,
        headers={**AUTH, "Content-Type": OCI_MANIFEST},
    )
    assert overwrite.status_code == 403
    error = overwrite.json()["errors"][0]
    assert error["code"] == "DENIED"
    assert "immutable tags (setting immutableTags)" in error["message"]
    pulled = await client.get(f"/v2/{NAME}/manifests/1.0", headers=AUTH)
    assert pulled.headers["Docker-Content-Digest"] == digest

    await push_image(client, NAME, "1.1", second)  # a new tag is fine
    untag = await client.delete(f"/v2/{NAME}/manifests/1.0", headers=AUTH)
    assert untag.status_code == 403 and "cannot be deleted" in untag.json()["errors"][0]["message"]
    by_digest = await client.delete(f"/v2/{NAME}/manifests/{digest}", headers=AUTH)
    assert by_digest.status_code == 403
    assert "is tagged '1.0'" in by_digest.json()["errors"][0]["message"]


async def test_an_untagged_manifest_can_be_deleted(client: httpx.AsyncClient) -> None:
    image = make_image([{"untagged": b"1"}])
    digest = await push_image(client, NAME, image.digest, image)
    assert (await client.delete(f"/v2/{NAME}/manifests/{digest}", headers=AUTH)).status_code == 202


async def test_turning_it_off_allows_moving_tags(client: httpx.AsyncClient) -> None:
    await push_image(client, "staging/app", "1.0", make_image([{"a": b"1"}]))
    changed = await client.patch(
        "/api/v1/repositories/staging", json={"immutableTags": True}, headers=AUTH
    )
    assert changed.json()["immutableTags"] is True
    assert (await client.delete("/v2/staging/app/manifests/1.0", headers=AUTH)).status_code == 403
    await client.patch("/api/v1/repositories/staging", json={"immutableTags": False}, headers=AUTH)
    assert (await client.delete("/v2/staging/app/manifests/1.0", headers=AUTH)).status_code == 202


async def test_racing_pushes_of_one_new_tag(client: httpx.AsyncClient) -> None:
    images = [make_image([{"race": bytes([i])}]) for i in range(4)]
    for image in images:
        for blob in image.blobs:
            await push_blob(client, NAME, blob)
    statuses: list[int] = []

    async def push(manifest: bytes) -> None:
        response = await client.put(
            f"/v2/{NAME}/manifests/race",
            content=manifest,
            headers={**AUTH, "Content-Type": OCI_MANIFEST},
        )
        statuses.append(response.status_code)

    async with anyio.create_task_group() as group:
        for image in images:
            group.start_soon(push, image.manifest)
    assert sorted(statuses) == [201, 403, 403, 403]
