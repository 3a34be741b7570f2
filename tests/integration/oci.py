"""Small OCI client steps for the integration tests (plain httpx, as the spec writes them)."""

from __future__ import annotations

import json

import httpx

from tests.images import OCI_MANIFEST, Image, sha256
from tests.integration.conftest import AUTH


async def push_blob(client: httpx.AsyncClient, name: str, data: bytes) -> str:
    digest = sha256(data)
    response = await client.post(
        f"/v2/{name}/blobs/uploads/", params={"digest": digest}, content=data, headers=AUTH
    )
    assert response.status_code == 201, response.text
    return digest


async def push_image(client: httpx.AsyncClient, name: str, tag: str, image: Image) -> str:
    for blob in image.blobs:
        await push_blob(client, name, blob)
    response = await client.put(
        f"/v2/{name}/manifests/{tag}",
        content=image.manifest,
        headers={**AUTH, "Content-Type": OCI_MANIFEST},
    )
    assert response.status_code == 201, response.text
    return response.headers["Docker-Content-Digest"]


async def put_manifest(
    client: httpx.AsyncClient,
    name: str,
    reference: str,
    document: dict[str, object],
    media_type: str = OCI_MANIFEST,
) -> httpx.Response:
    return await client.put(
        f"/v2/{name}/manifests/{reference}",
        content=json.dumps(document).encode(),
        headers={**AUTH, "Content-Type": media_type},
    )


def errors(response: httpx.Response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]
