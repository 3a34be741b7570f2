"""Garbage collection through the REST API: what nothing holds goes once the grace period
has passed, what something holds stays, and the registry says why a blob is still here."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest

from cargohold.settings import Settings
from tests.images import OCI_MANIFEST, make_image, sha256
from tests.integration.accounts import create_user
from tests.integration.audit import audited
from tests.integration.conftest import AUTH, Clock
from tests.integration.generic import blob_files, create_generic
from tests.integration.oci import push_blob, push_image, put_manifest

pytestmark = pytest.mark.anyio
GRACE = 3600


async def collect(client: httpx.AsyncClient, dry_run: bool = False) -> dict[str, Any]:
    response = await client.post("/api/v1/gc", json={"dryRun": dry_run}, headers=AUTH)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def why(client: httpx.AsyncClient, digest: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/blobs/{digest}/references", headers=AUTH)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_deleted_image_is_collected_after_the_grace_period_and_its_neighbour_stays(
    client: httpx.AsyncClient, clock: Clock, settings: Settings
) -> None:
    shared = {"base": os.urandom(40_000)}
    kept = make_image([shared, {"kept": os.urandom(30_000)}])
    gone = make_image([shared, {"gone": os.urandom(30_000)}])
    await push_image(client, "dev/team/kept", "1.0", kept)
    gone_digest = await push_image(client, "dev/team/gone", "1.0", gone)
    stored = len(blob_files(settings.blob_root))
    assert (
        await client.delete(f"/v2/dev/team/gone/manifests/{gone_digest}", headers=AUTH)
    ).status_code == 202

    # Within the grace period nothing goes, not even what nothing holds any more.
    assert (await collect(client))["blobsDeleted"] == 0
    unique = [gone.layers[1], gone.config, gone.manifest]
    found = await why(client, sha256(gone.layers[1]))
    assert found["live"] is False and found["stored"] is True
    assert [h["kind"] for h in found["holders"]] == ["link"]
    assert found["collectable"] is not None

    clock.advance(GRACE + 120)
    dry = await collect(client, dry_run=True)
    assert dry["dryRun"] is True
    assert dry["blobsDeleted"] == len(unique)
    assert dry["bytesFreed"] == sum(len(b) for b in unique)
    assert len(blob_files(settings.blob_root)) == stored  # a dry run deletes nothing

    report = await collect(client)
    assert (report["blobsDeleted"], report["bytesFreed"]) == (
        dry["blobsDeleted"],
        dry["bytesFreed"],
    )
    assert len(blob_files(settings.blob_root)) == stored - len(unique)
    assert (await collect(client))["blobsDeleted"] == 0  # nothing left to do

    # The image that shares the base layer pulls whole.
    for blob in kept.blobs:
        pulled = await client.get(f"/v2/dev/team/kept/blobs/{sha256(blob)}", headers=AUTH)
        assert pulled.status_code == 200 and pulled.content == blob
    base = await why(client, sha256(kept.layers[0]))
    assert base["live"] is True and base["collectable"] is None
    assert {(h["kind"], h["repository"], h["name"]) for h in base["holders"]} >= {
        ("layer", "dev", "team/kept")
    }
    # The collected blob is gone for every client, and "why" says it knows nothing of it.
    head = await client.head(f"/v2/dev/team/gone/blobs/{sha256(gone.layers[1])}", headers=AUTH)
    assert head.status_code == 404
    unknown = await client.get(f"/api/v1/blobs/{sha256(gone.layers[1])}/references", headers=AUTH)
    assert unknown.status_code == 404
    assert await audited(client, "gc.run", "gc.dry-run") == [
        ("gc.run", "admin", "gc", 200),
        ("gc.dry-run", "admin", "gc", 200),
        ("gc.run", "admin", "gc", 200),
        ("gc.run", "admin", "gc", 200),
    ]


async def test_an_uploaded_blob_waits_for_its_manifest_through_the_grace_period(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    """A client that uploaded its layers and has not yet put its manifest loses nothing."""
    image = make_image([{"slow": os.urandom(20_000)}])
    for blob in image.blobs:
        await push_blob(client, "dev/slow/app", blob)
    clock.advance(GRACE - 60)
    assert (await collect(client))["blobsDeleted"] == 0
    response = await client.put(
        "/v2/dev/slow/app/manifests/1.0",
        content=image.manifest,
        headers={**AUTH, "Content-Type": OCI_MANIFEST},
    )
    assert response.status_code == 201, response.text
    clock.advance(2 * GRACE)
    assert (await collect(client))["blobsDeleted"] == 0


async def test_a_manifest_needing_a_collected_blob_is_refused_not_acknowledged(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    image = make_image([{"late": os.urandom(20_000)}])
    for blob in image.blobs:
        await push_blob(client, "dev/late/app", blob)
    clock.advance(GRACE + 120)
    assert (await collect(client))["blobsDeleted"] == len(image.blobs)
    response = await client.put(
        "/v2/dev/late/app/manifests/1.0",
        content=image.manifest,
        headers={**AUTH, "Content-Type": OCI_MANIFEST},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    # Pushed again, the image is whole.
    await push_image(client, "dev/late/app", "1.0", image)
    for blob in image.blobs:
        pulled = await client.get(f"/v2/dev/late/app/blobs/{sha256(blob)}", headers=AUTH)
        assert pulled.content == blob


async def test_a_referrer_goes_with_its_subject_and_files_hold_their_content(
    client: httpx.AsyncClient, clock: Clock, settings: Settings
) -> None:
    image = make_image([{"signed": os.urandom(20_000)}])
    subject = await push_image(client, "dev/signed/app", "1.0", image)
    signature = os.urandom(300)
    await push_blob(client, "dev/signed/app", signature)
    await push_blob(client, "dev/signed/app", b"{}")
    referrer = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.signature",
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": sha256(b"{}"),
            "size": 2,
        },
        "layers": [
            {"mediaType": "application/octet-stream", "digest": sha256(signature), "size": 300}
        ],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(image.manifest)},
    }
    pushed = await put_manifest(client, "dev/signed/app", sha256(json_bytes(referrer)), referrer)
    assert pushed.status_code == 201, pushed.text
    await create_generic(client, "files")
    content = os.urandom(10_000)
    deployed = await client.put("/generic/files/tool.bin", content=content, headers=AUTH)
    assert deployed.status_code == 201, deployed.text

    deleted = await client.delete(f"/v2/dev/signed/app/manifests/{subject}", headers=AUTH)
    assert deleted.status_code == 202
    assert (await collect(client))["manifestsRemoved"] == 0  # not before the grace period
    clock.advance(GRACE + 120)
    assert (await collect(client))["manifestsRemoved"] == 1  # the signature of nothing
    listed = await client.get(f"/v2/dev/signed/app/referrers/{subject}", headers=AUTH)
    assert listed.json()["manifests"] == []
    file_holders = (await why(client, sha256(content)))["holders"]
    assert file_holders == [
        {"kind": "file", "repository": "files", "name": "tool.bin", "digest": None, "tags": []}
    ]
    clock.advance(GRACE + 120)
    await collect(client)
    assert sha256(signature).split(":")[1] not in {p.name for p in blob_files(settings.blob_root)}
    got = await client.get("/generic/files/tool.bin", headers=AUTH)
    assert got.content == content


async def test_only_an_administrator_collects_or_asks_why(client: httpx.AsyncClient) -> None:
    await create_user(client, "dev1", "password-of-dev1")
    auth = ("dev1", "password-of-dev1")
    assert (await client.post("/api/v1/gc", json={}, auth=auth)).status_code == 403
    digest = sha256(b"x")
    assert (await client.get(f"/api/v1/blobs/{digest}/references", auth=auth)).status_code == 403
    assert (
        await client.post("/api/v1/gc", json={"dryRun": "yes"}, headers=AUTH)
    ).status_code == 400
    assert (await client.post("/api/v1/gc", json={"later": 1}, headers=AUTH)).status_code == 400
    bad = await client.get("/api/v1/blobs/sha256:nothex/references", headers=AUTH)
    assert bad.status_code == 400
    assert bad.headers["Content-Type"].startswith("application/problem+json")


def json_bytes(document: dict[str, object]) -> bytes:
    return json.dumps(document).encode()


async def test_bytes_no_metadata_records_go_once_older_than_the_grace_period(
    client: httpx.AsyncClient, clock: Clock, settings: Settings
) -> None:
    """What a crash between storing a blob and recording it leaves behind."""
    data = os.urandom(5_000)
    digest = sha256(data)
    path = settings.blob_root / "blobs" / "sha256" / digest[7:9] / digest[7:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    found = await why(client, digest)
    assert (found["stored"], found["live"], found["touched"], found["size"]) == (
        True,
        False,
        None,
        len(data),
    )
    assert (await collect(client))["blobsDeleted"] == 0  # written just now
    clock.advance(GRACE + 120)
    report = await collect(client)
    assert (report["blobsDeleted"], report["unrecordedBlobs"], report["bytesFreed"]) == (
        1,
        1,
        len(data),
    )
    assert not path.exists()


async def test_a_collection_is_an_event_for_webhooks_that_ask_for_it(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/api/v1/webhooks",
        json={
            "name": "ops",
            "url": "http://127.0.0.1:9/hook",
            "secret": "s" * 16,
            "repositories": ["*"],
            "events": ["gc"],
        },
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    await collect(client, dry_run=True)  # a dry run is audited, not an event
    await collect(client)
    response = await client.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries", headers=AUTH)
    [delivery] = response.json()["items"]
    assert (delivery["type"], delivery["subject"]) == ("dev.cargohold.gc", "gc")
