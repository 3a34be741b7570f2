"""Manifests, tags, indexes, artifacts, referrers and listings."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.images import OCI_INDEX, OCI_MANIFEST, descriptor, make_image, sha256
from tests.integration.conftest import AUTH
from tests.integration.oci import errors, push_blob, push_image, put_manifest

pytestmark = pytest.mark.anyio
NAME = "dev/team/app"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}


async def test_push_and_pull_by_tag_and_digest(client: httpx.AsyncClient) -> None:
    image = make_image([{"hello": b"world"}])
    digest = await push_image(client, NAME, "1.0", image)
    assert digest == image.digest
    by_tag = await client.get(f"/v2/{NAME}/manifests/1.0", headers={"Accept": OCI_MANIFEST})
    assert by_tag.status_code == 200
    assert by_tag.content == image.manifest
    assert by_tag.headers["Content-Type"] == OCI_MANIFEST
    assert by_tag.headers["Docker-Content-Digest"] == image.digest
    by_digest = await client.get(f"/v2/{NAME}/manifests/{image.digest}")
    assert by_digest.content == image.manifest
    head = await client.head(f"/v2/{NAME}/manifests/1.0")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(image.manifest))


async def test_retag_moves_the_tag(client: httpx.AsyncClient) -> None:
    first = make_image([{"v": b"1"}])
    second = make_image([{"v": b"2"}])
    await push_image(client, NAME, "latest", first)
    await push_image(client, NAME, "latest", second)
    current = await client.get(f"/v2/{NAME}/manifests/latest")
    assert current.headers["Docker-Content-Digest"] == second.digest
    # The first image is still there by digest.
    assert (await client.get(f"/v2/{NAME}/manifests/{first.digest}")).status_code == 200


async def test_manifest_with_missing_blob_is_rejected(client: httpx.AsyncClient) -> None:
    image = make_image([{"a": b"b"}])
    await push_blob(client, NAME, image.config)  # but not the layer
    response = await put_manifest(client, NAME, "broken", json.loads(image.manifest))
    assert response.status_code == 400
    assert errors(response) == ["MANIFEST_BLOB_UNKNOWN"]
    assert sha256(image.layers[0]) in response.text


async def test_index_requires_its_manifests(client: httpx.AsyncClient) -> None:
    amd = make_image([{"arch": b"amd64"}], architecture="amd64")
    arm = make_image([{"arch": b"arm64"}], architecture="arm64")
    await push_image(client, NAME, "amd", amd)
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            descriptor(
                OCI_MANIFEST, amd.manifest, platform={"architecture": "amd64", "os": "linux"}
            ),
            descriptor(
                OCI_MANIFEST, arm.manifest, platform={"architecture": "arm64", "os": "linux"}
            ),
        ],
    }
    rejected = await put_manifest(client, NAME, "multi", index, OCI_INDEX)
    assert rejected.status_code == 400
    assert errors(rejected) == ["MANIFEST_BLOB_UNKNOWN"]
    await push_image(client, NAME, "arm", arm)
    accepted = await put_manifest(client, NAME, "multi", index, OCI_INDEX)
    assert accepted.status_code == 201
    fetched = await client.get(f"/v2/{NAME}/manifests/multi", headers={"Accept": OCI_INDEX})
    assert fetched.headers["Content-Type"] == OCI_INDEX


async def test_docker_schema2_manifest(client: httpx.AsyncClient) -> None:
    image = make_image([{"docker": b"v2"}])
    for blob in image.blobs:
        await push_blob(client, NAME, blob)
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_V2,
        "config": descriptor("application/vnd.docker.container.image.v1+json", image.config),
        "layers": [
            descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", layer)
            for layer in image.layers
        ],
    }
    response = await put_manifest(client, NAME, "docker", manifest, DOCKER_V2)
    assert response.status_code == 201
    fetched = await client.get(f"/v2/{NAME}/manifests/docker", headers={"Accept": DOCKER_V2})
    assert fetched.headers["Content-Type"] == DOCKER_V2


async def test_content_negotiation(client: httpx.AsyncClient) -> None:
    image = make_image([{"negotiate": b"x"}])
    await push_image(client, NAME, "oci", image)
    refused = await client.get(f"/v2/{NAME}/manifests/oci", headers={"Accept": DOCKER_V2})
    assert refused.status_code == 404
    assert errors(refused) == ["MANIFEST_UNKNOWN"]
    assert OCI_MANIFEST in refused.json()["errors"][0]["message"]
    several = await client.get(
        f"/v2/{NAME}/manifests/oci", headers=[("Accept", DOCKER_V2), ("Accept", OCI_MANIFEST)]
    )
    assert several.status_code == 200
    anything = await client.get(f"/v2/{NAME}/manifests/oci", headers={"Accept": "*/*"})
    assert anything.status_code == 200
    declined = await client.get(
        f"/v2/{NAME}/manifests/oci", headers={"Accept": f"{OCI_MANIFEST};q=0, {DOCKER_V2}"}
    )
    assert declined.status_code == 404
    # By digest the client names the exact content, so it is served whatever Accept says.
    by_digest = await client.get(
        f"/v2/{NAME}/manifests/{image.digest}", headers={"Accept": DOCKER_V2}
    )
    assert by_digest.status_code == 200
    assert by_digest.headers["Content-Type"] == OCI_MANIFEST


async def test_push_by_digest_checks_the_digest(client: httpx.AsyncClient) -> None:
    image = make_image([{"by": b"digest"}])
    for blob in image.blobs:
        await push_blob(client, NAME, blob)
    wrong = await put_manifest(client, NAME, sha256(b"other"), json.loads(image.manifest))
    assert wrong.status_code == 400
    assert errors(wrong) == ["DIGEST_INVALID"]
    right = await put_manifest(client, NAME, image.digest, json.loads(image.manifest))
    assert right.status_code == 201


async def test_sha512_manifest_reference(client: httpx.AsyncClient) -> None:
    image = make_image([{"five": b"twelve"}])
    for blob in image.blobs:
        await push_blob(client, NAME, blob)
    digest = "sha512:" + hashlib.sha512(image.manifest).hexdigest()
    response = await client.put(
        f"/v2/{NAME}/manifests/{digest}",
        content=image.manifest,
        headers={**AUTH, "Content-Type": OCI_MANIFEST},
    )
    assert response.status_code == 201
    assert response.headers["Docker-Content-Digest"] == digest
    assert (await client.get(f"/v2/{NAME}/manifests/{digest}")).content == image.manifest


async def test_delete_by_digest_removes_every_tag(client: httpx.AsyncClient) -> None:
    image = make_image([{"gone": b"soon"}])
    await push_image(client, NAME, "a", image)
    await push_image(client, NAME, "b", image)
    deleted = await client.delete(f"/v2/{NAME}/manifests/{image.digest}", headers=AUTH)
    assert deleted.status_code == 202
    for reference in ("a", "b", image.digest):
        response = await client.get(f"/v2/{NAME}/manifests/{reference}")
        assert response.status_code == 404
        assert errors(response) == ["MANIFEST_UNKNOWN"]


async def test_delete_tag_keeps_the_manifest(client: httpx.AsyncClient) -> None:
    image = make_image([{"tag": b"delete"}])
    await push_image(client, NAME, "a", image)
    await push_image(client, NAME, "b", image)
    assert (await client.delete(f"/v2/{NAME}/manifests/a", headers=AUTH)).status_code == 202
    assert (await client.get(f"/v2/{NAME}/manifests/a")).status_code == 404
    assert (await client.get(f"/v2/{NAME}/manifests/b")).status_code == 200


async def test_artifact_with_subject_and_referrers(client: httpx.AsyncClient) -> None:
    image = make_image([{"app": b"binary"}])
    await push_image(client, NAME, "1.0", image)
    sbom = b'{"bomFormat": "CycloneDX"}'
    signature = b"signature bytes"
    await push_blob(client, NAME, sbom)
    await push_blob(client, NAME, signature)
    subject = descriptor(OCI_MANIFEST, image.manifest)
    artifacts = {
        "application/vnd.cyclonedx+json": sbom,
        "application/vnd.dev.cosign.simplesigning.v1+json": signature,
    }
    pushed = {}
    for artifact_type, blob in artifacts.items():
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": EMPTY,
            "layers": [descriptor("application/octet-stream", blob)],
            "subject": subject,
            "annotations": {"org.example.kind": artifact_type},
        }
        response = await put_manifest(client, NAME, sha256(json.dumps(manifest).encode()), manifest)
        assert response.status_code == 201, response.text
        assert response.headers["OCI-Subject"] == image.digest
        pushed[artifact_type] = response.headers["Docker-Content-Digest"]

    listed = await client.get(f"/v2/{NAME}/referrers/{image.digest}")
    assert listed.status_code == 200
    assert listed.headers["Content-Type"] == OCI_INDEX
    index = listed.json()
    assert {m["artifactType"] for m in index["manifests"]} == set(artifacts)
    assert {m["digest"] for m in index["manifests"]} == set(pushed.values())
    assert all(
        m["annotations"]["org.example.kind"] == m["artifactType"] for m in index["manifests"]
    )

    sbom_type = "application/vnd.cyclonedx+json"
    filtered = await client.get(
        f"/v2/{NAME}/referrers/{image.digest}", params={"artifactType": sbom_type}
    )
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["digest"] for m in filtered.json()["manifests"]] == [pushed[sbom_type]]

    none = await client.get(f"/v2/{NAME}/referrers/{sha256(b'no such subject')}")
    assert none.status_code == 200
    assert none.json()["manifests"] == []


async def test_tags_list_pagination(client: httpx.AsyncClient) -> None:
    image = make_image([{"tags": b"list"}])
    tags = [f"v{i:02d}" for i in range(7)]
    for tag in tags:
        await push_image(client, NAME, tag, image)
    full = await client.get(f"/v2/{NAME}/tags/list")
    assert full.json() == {"name": NAME, "tags": tags}
    seen: list[str] = []
    url: str | None = f"/v2/{NAME}/tags/list?n=3"
    while url:
        page = await client.get(url)
        seen += page.json()["tags"]
        link = page.headers.get("Link")
        url = link.split(";")[0].strip("<>") if link else None
    assert seen == tags
    after = await client.get(f"/v2/{NAME}/tags/list", params={"n": 2, "last": "v04"})
    assert after.json()["tags"] == ["v05", "v06"]
    never = await client.get("/v2/dev/nothing/here/tags/list")
    assert never.json() == {"name": "dev/nothing/here", "tags": []}
    unknown_key = await client.get("/v2/nokey/app/tags/list")
    assert unknown_key.status_code == 404
    assert errors(unknown_key) == ["NAME_UNKNOWN"]


async def test_tags_are_in_case_insensitive_order(client: httpx.AsyncClient) -> None:
    image = make_image([{"case": b"order"}])
    for tag in ("b", "C", "a", "D", "e"):
        await push_image(client, NAME, tag, image)
    assert (await client.get(f"/v2/{NAME}/tags/list")).json()["tags"] == ["a", "b", "C", "D", "e"]
    page = await client.get(f"/v2/{NAME}/tags/list", params={"n": 2, "last": "b"})
    assert page.json()["tags"] == ["C", "D"]


async def test_tags_list_after_the_last_manifest_is_deleted(client: httpx.AsyncClient) -> None:
    image = make_image([{"last": b"one"}])
    await push_image(client, NAME, "only", image)
    await client.delete(f"/v2/{NAME}/manifests/{image.digest}", headers=AUTH)
    emptied = await client.get(f"/v2/{NAME}/tags/list")
    assert emptied.status_code == 200
    assert emptied.json() == {"name": NAME, "tags": []}


async def test_catalog_pagination(client: httpx.AsyncClient) -> None:
    image = make_image([{"catalog": b"x"}])
    names = ["dev/a/one", "dev/b/two", "prod/c/three", "staging/d/four"]
    for name in names:
        await push_image(client, name, "1", image)
    assert (await client.get("/v2/_catalog", headers=AUTH)).json() == {"repositories": names}
    # Anonymous callers see only the repositories open to anonymous reads (dev here).
    assert (await client.get("/v2/_catalog")).json() == {"repositories": names[:2]}
    first = await client.get("/v2/_catalog", params={"n": 2}, headers=AUTH)
    assert first.json()["repositories"] == names[:2]
    assert 'rel="next"' in first.headers["Link"]
    second = await client.get("/v2/_catalog", params={"n": 2, "last": names[1]}, headers=AUTH)
    assert second.json()["repositories"] == names[2:]


async def test_base_endpoint_challenges_anonymous(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/v2/")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == (
        'Bearer realm="http://registry/v2/token",service="cargohold"'
    )
    logged_in = await client.get("/v2/", headers=AUTH)
    assert logged_in.status_code == 200
    assert logged_in.headers["Docker-Distribution-API-Version"] == "registry/2.0"
