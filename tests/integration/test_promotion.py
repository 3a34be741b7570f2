"""Promotion by digest, shaped like Artifactory's docker promote: the whole image (every
platform of an index, every referrer) moves on without a byte being read, and every promotion
is recorded."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.images import OCI_INDEX, OCI_MANIFEST, descriptor, make_image, sha256
from tests.integration.accounts import basic, create_user, grant
from tests.integration.audit import audited
from tests.integration.conftest import AUTH, Clock
from tests.integration.oci import push_blob, push_image, put_manifest

pytestmark = pytest.mark.anyio

EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}


async def push_release(client: httpx.AsyncClient, name: str, tag: str) -> dict[str, str]:
    """A two-platform index tagged ``tag``, with a signature referring to it."""
    amd, arm = make_image([{"amd": tag.encode()}]), make_image([{"arm": tag.encode()}], "arm64")
    for image in (amd, arm):
        await push_image(client, name, image.digest, image)
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
    pushed = await put_manifest(client, name, tag, index, OCI_INDEX)
    assert pushed.status_code == 201
    index_digest = pushed.headers["Docker-Content-Digest"]
    signature = b"signed " + index_digest.encode()
    await push_blob(client, name, signature)
    referrer = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "config": EMPTY,
        "layers": [descriptor("application/octet-stream", signature)],
        "subject": {"mediaType": OCI_INDEX, "digest": index_digest, "size": len(json.dumps(index))},
    }
    signed = await put_manifest(client, name, sha256(json.dumps(referrer).encode()), referrer)
    assert signed.status_code == 201
    return {
        "index": index_digest,
        "amd": amd.digest,
        "amd_layer": sha256(amd.layers[0]),
        "signature": signed.headers["Docker-Content-Digest"],
    }


async def promote(
    client: httpx.AsyncClient, source: str, headers: dict[str, str] = AUTH, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/docker/{source}/promote", json=body, headers=headers)


async def test_copy_takes_every_platform_and_referrer(client: httpx.AsyncClient) -> None:
    release = await push_release(client, "dev/team/app", "1.0")
    response = await promote(
        client,
        "dev",
        targetRepo="staging",
        dockerRepository="team/app",
        tag="1.0",
        copy=True,
        properties={"qa.status": "passed"},
        comment="integration tests green",
    )
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == {"1.0": release["index"]}
    staged = await client.get("/v2/staging/team/app/manifests/1.0", headers=AUTH)
    assert staged.headers["Docker-Content-Digest"] == release["index"]
    for digest in (release["amd"], release["signature"]):
        assert (
            await client.head(f"/v2/staging/team/app/manifests/{digest}", headers=AUTH)
        ).status_code == 200
    layer = await client.get(f"/v2/staging/team/app/blobs/{release['amd_layer']}", headers=AUTH)
    assert layer.status_code == 200
    referrers = await client.get(f"/v2/staging/team/app/referrers/{release['index']}", headers=AUTH)
    assert [m["digest"] for m in referrers.json()["manifests"]] == [release["signature"]]
    # a copy leaves the source as it was
    assert (await client.get("/v2/dev/team/app/manifests/1.0", headers=AUTH)).status_code == 200
    props = await client.get(
        "/api/v1/properties",
        params={"repository": "staging", "image": "team/app", "digest": release["index"]},
        headers=AUTH,
    )
    assert props.json()["properties"] == {"qa.status": ["passed"]}


async def test_move_promotes_and_records_every_stage(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    release = await push_release(client, "dev/team/app", "1.4")
    await client.put(
        "/api/v1/properties",
        params={"repository": "dev", "image": "team/app", "digest": release["index"]},
        json={"properties": {"build.number": "7"}},
        headers=AUTH,
    )
    for source, target in (("dev", "staging"), ("staging", "prod")):
        moved = await promote(
            client, source, targetRepo=target, dockerRepository="team/app", tag="1.4"
        )
        assert moved.status_code == 200, moved.text
        clock.advance(60)
    assert (await client.get("/v2/staging/team/app/manifests/1.4", headers=AUTH)).status_code == 404
    gone = await client.head(f"/v2/staging/team/app/manifests/{release['amd']}", headers=AUTH)
    assert gone.status_code == 404  # a move takes the untagged platform manifests along
    prod = await client.get("/v2/prod/team/app/manifests/1.4", headers=AUTH)
    assert prod.headers["Docker-Content-Digest"] == release["index"]
    props = await client.get(
        "/api/v1/properties",
        params={"repository": "prod", "image": "team/app", "digest": release["index"]},
        headers=AUTH,
    )
    assert props.json()["properties"] == {"build.number": ["7"]}

    history = await client.get(
        "/api/v1/promotions", params={"digest": release["index"]}, headers=AUTH
    )
    steps = [
        (p["sourceRepo"], p["targetRepo"], p["tags"], p["copy"], p["result"], p["principal"])
        for p in reversed(history.json()["items"])
    ]
    assert steps == [
        ("dev", "staging", ["1.4"], False, "ok", "admin"),
        ("staging", "prod", ["1.4"], False, "ok", "admin"),
    ]
    by_image = await client.get("/api/v1/promotions", params={"image": "team/app"}, headers=AUTH)
    assert len(by_image.json()["items"]) == 2


async def test_prod_refuses_to_move_a_tag(client: httpx.AsyncClient, clock: Clock) -> None:
    first = await push_release(client, "dev/team/app", "2.0")
    assert (
        await promote(
            client, "dev", targetRepo="prod", dockerRepository="team/app", tag="2.0", copy=True
        )
    ).status_code == 200
    clock.advance(60)
    await push_image(client, "dev/team/app", "2.0-rebuilt", make_image([{"other": b"x"}]))
    refused = await promote(
        client,
        "dev",
        targetRepo="prod",
        dockerRepository="team/app",
        tag="2.0-rebuilt",
        targetTag="2.0",
        copy=True,
    )
    assert refused.status_code == 403
    assert "immutable tags (setting immutableTags)" in refused.json()["detail"]
    prod = await client.get("/v2/prod/team/app/manifests/2.0", headers=AUTH)
    assert prod.headers["Docker-Content-Digest"] == first["index"]
    failures = await client.get("/api/v1/promotions", params={"repository": "prod"}, headers=AUTH)
    assert [p["result"] for p in failures.json()["items"]] == ["denied", "ok"]
    dry = await promote(
        client,
        "dev",
        targetRepo="prod",
        dockerRepository="team/app",
        tag="2.0-rebuilt",
        targetTag="2.0",
        copy=True,
        dryRun=True,
    )
    assert dry.status_code == 403  # a dry run says what the real one would refuse
    out_of_prod = await promote(
        client, "prod", targetRepo="staging", dockerRepository="team/app", tag="2.0"
    )
    assert out_of_prod.status_code == 403
    assert "promote with copy instead" in out_of_prod.json()["detail"]
    assert (await client.get("/v2/prod/team/app/manifests/2.0", headers=AUTH)).status_code == 200


async def test_all_tags_and_dry_run(client: httpx.AsyncClient) -> None:
    for tag in ("a", "b"):
        await push_image(client, "dev/multi/app", tag, make_image([{tag: tag.encode()}]))
    dry = await promote(
        client, "dev", targetRepo="staging", dockerRepository="multi/app", dryRun=True
    )
    assert dry.status_code == 200 and sorted(dry.json()["tags"]) == ["a", "b"]
    listed = await client.get("/v2/staging/multi/app/tags/list", headers=AUTH)
    assert listed.json()["tags"] == []
    done = await promote(
        client, "dev", targetRepo="staging", dockerRepository="multi/app", copy=True
    )
    assert done.status_code == 200
    listed = await client.get("/v2/staging/multi/app/tags/list", headers=AUTH)
    assert listed.json()["tags"] == ["a", "b"]


async def test_promotion_needs_promote_on_the_source_and_write_on_the_target(
    client: httpx.AsyncClient,
) -> None:
    await push_image(client, "dev/team/app", "3.0", make_image([{"p": b"3"}]))
    await create_user(client, "release", "release-password")
    manager = basic("release", "release-password")
    body = {"targetRepo": "staging", "dockerRepository": "team/app", "tag": "3.0", "copy": True}
    await grant(client, "user:release", ["dev"], ["read", "promote"])
    no_write = await promote(client, "dev", manager, **body)
    assert no_write.status_code == 403 and "'staging'" in no_write.json()["detail"]
    await grant(client, "user:release", ["staging"], ["write"])
    assert (await promote(client, "dev", manager, **body)).status_code == 200
    move = await promote(client, "dev", manager, **{**body, "copy": False})
    assert move.status_code == 403 and "delete" in move.json()["detail"]
    anonymous = await client.post("/api/v1/docker/dev/promote", json=body)
    assert anonymous.status_code == 401


async def test_each_promotion_is_audited_once_with_its_status(client: httpx.AsyncClient) -> None:
    first = await push_image(client, "dev/team/app", "4.0", make_image([{"a": b"4.0"}]))
    await push_image(client, "dev/team/app", "4.1", make_image([{"a": b"4.1"}]))
    await create_user(client, "reader", "reader-password")
    reader = basic("reader", "reader-password")
    await grant(client, "user:reader", ["dev", "staging"], ["read"])
    body = {"targetRepo": "staging", "dockerRepository": "team/app", "tag": "4.0", "copy": True}
    assert (await promote(client, "dev", AUTH, **body, dryRun=True)).status_code == 200
    assert (await promote(client, "dev", reader, **body)).status_code == 403
    listed = await client.get("/v2/staging/team/app/tags/list", headers=AUTH)
    assert listed.json()["tags"] == []  # neither the dry run nor the refusal changed anything
    assert (await promote(client, "dev", AUTH, **body)).status_code == 200
    to_prod = body | {"targetRepo": "prod"}
    assert (await promote(client, "dev", AUTH, **to_prod)).status_code == 200
    # prod's tags are immutable: the write itself refuses to point 4.0 at another image.
    moved = await promote(client, "dev", AUTH, **to_prod | {"tag": "4.1", "targetTag": "4.0"})
    assert moved.status_code == 403
    pulled = await client.get("/v2/prod/team/app/manifests/4.0", headers=AUTH)
    assert pulled.headers["Docker-Content-Digest"] == first
    target = "docker/dev/promote"
    assert await audited(client, "docker.promote") == [
        ("docker.promote", "admin", target, 200),
        ("docker.promote", "reader", target, 403),
        ("docker.promote", "admin", target, 200),
        ("docker.promote", "admin", target, 200),
        ("docker.promote", "admin", target, 403),
    ]


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"dockerRepository": "team/app"}, 400, "'targetRepo'"),
        ({"targetRepo": "nope", "dockerRepository": "team/app"}, 404, "'nope' does not exist"),
        (
            {"targetRepo": "staging", "dockerRepository": "team/app", "tag": "none"},
            404,
            "not found",
        ),
        ({"targetRepo": "staging", "dockerRepository": "Team/App"}, 400, "invalid repository name"),
        (
            {"targetRepo": "staging", "dockerRepository": "team/app", "targetTag": "x"},
            400,
            "needs tag",
        ),
        (
            {
                "targetRepo": "staging",
                "dockerRepository": "team/app",
                "properties": {"bad key": "x"},
            },
            400,
            "property key",
        ),
    ],
)
async def test_bad_promotions(
    client: httpx.AsyncClient, body: dict[str, object], status: int, detail: str
) -> None:
    await push_image(client, "dev/team/app", "1", make_image([{"bad": b"1"}]))
    response = await client.post("/api/v1/docker/dev/promote", json=body, headers=AUTH)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]


async def test_properties_on_tags_and_digests(client: httpx.AsyncClient) -> None:
    image = make_image([{"props": b"1"}])
    await push_image(client, "dev/team/app", "5.0", image)
    where = {"repository": "dev", "image": "team/app", "tag": "5.0"}
    put = await client.put(
        "/api/v1/properties",
        params=where,
        json={"properties": {"qa.status": "passed", "env": ["a", "b"]}},
        headers=AUTH,
    )
    assert put.json()["properties"] == {"env": ["a", "b"], "qa.status": ["passed"]}
    assert put.json()["subject"] == "tag:team/app:5.0"
    merged = await client.put(
        "/api/v1/properties", params=where, json={"properties": {"env": "c"}}, headers=AUTH
    )
    assert merged.json()["properties"] == {"env": ["c"], "qa.status": ["passed"]}
    deleted = await client.delete(
        "/api/v1/properties", params={**where, "keys": "env"}, headers=AUTH
    )
    assert deleted.status_code == 204
    got = await client.get("/api/v1/properties", params=where)  # dev is anonymously readable
    assert got.json()["properties"] == {"qa.status": ["passed"]}
    missing = await client.get("/api/v1/properties", params={**where, "tag": "9.9"}, headers=AUTH)
    assert missing.status_code == 404
    await create_user(client, "reader", "reader-password")
    refused = await client.put(
        "/api/v1/properties",
        params=where,
        json={"properties": {"x": "y"}},
        headers=basic("reader", "reader-password"),
    )
    assert refused.status_code == 403
    unchanged = await client.get("/api/v1/properties", params=where, headers=AUTH)
    assert unchanged.json()["properties"] == {"qa.status": ["passed"]}
    unnamed = await client.get("/api/v1/properties", params={"repository": "dev"}, headers=AUTH)
    assert unnamed.status_code == 400
    assert await audited(client, "property.set", "property.delete") == [
        ("property.set", "admin", "properties", 200),
        ("property.set", "admin", "properties", 200),
        ("property.delete", "admin", "properties", 204),
        ("property.set", "reader", "properties", 403),
    ]
