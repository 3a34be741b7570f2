"""Safe deletes through the REST API: a repository that holds artifacts goes only with
force, one with immutable tags also with its key typed back, and the audit log says what
went; an image's tag or manifest is deleted saying what went and what stayed."""

from __future__ import annotations

import httpx
import pytest

from tests.images import make_image
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH
from tests.integration.generic import create_generic, deploy
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio


async def audited(client: httpx.AsyncClient, action: str) -> dict[str, object]:
    response = await client.get("/api/v1/audit", params={"action": action}, headers=AUTH)
    newest: dict[str, object] = response.json()["items"][0]
    return newest


async def test_repository_delete_needs_force_and_confirm(client: httpx.AsyncClient) -> None:
    image = make_image([{"a": b"held"}])
    await push_image(client, "prod/team/app", "1.0", image)
    await push_image(client, "prod/team/app", "latest", image)
    await create_generic(client, "files")
    await deploy(client, "files", "a/b.txt", b"one")

    refused = await client.delete("/api/v1/repositories/files", headers=AUTH)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "holds 0 tags, 0 manifests, 1 file" in refused.json()["detail"]
    assert "--force" in refused.json()["detail"]
    deleted = await client.delete("/api/v1/repositories/files?force=true", headers=AUTH)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"key": "files", "tags": 0, "manifests": 0, "files": 1}
    assert (await audited(client, "repository.delete"))["detail"] == (
        "removed 0 tags, 0 manifests, 1 file"
    )

    # prod has immutable tags: force alone is not enough, the key must be typed back.
    for query, needs in [
        ("", "--force --confirm prod"),
        ("?force=true", "--confirm prod"),
        ("?force=true&confirm=staging", "'staging' does not match"),
    ]:
        refused = await client.delete(f"/api/v1/repositories/prod{query}", headers=AUTH)
        assert refused.status_code == 409, query
        assert needs in refused.json()["detail"], refused.json()
    assert (await client.get("/v2/prod/team/app/manifests/1.0", headers=AUTH)).status_code == 200
    refusal = await audited(client, "repository.delete")
    assert (refusal["status"], refusal["result"]) == (409, "failed")

    bad = await client.delete("/api/v1/repositories/prod?force=maybe", headers=AUTH)
    assert bad.status_code == 400
    deleted = await client.delete("/api/v1/repositories/prod?force=true&confirm=prod", headers=AUTH)
    assert deleted.json() == {"key": "prod", "tags": 2, "manifests": 1, "files": 0}
    assert (await audited(client, "repository.delete"))["detail"] == (
        "removed 2 tags, 1 manifest, 0 files"
    )
    # An empty repository goes without either.
    assert (await client.delete("/api/v1/repositories/staging", headers=AUTH)).status_code == 200


async def test_image_tag_and_manifest_delete(client: httpx.AsyncClient) -> None:
    image = make_image([{"a": b"tagged twice"}])
    digest = await push_image(client, "dev/team/app", "1.0", image)
    await push_image(client, "dev/team/app", "latest", image)
    base = "/api/v1/docker/dev/images/team/app"

    untagged = await client.delete(f"{base}/tags/1.0", headers=AUTH)
    assert untagged.status_code == 200, untagged.text
    assert untagged.json() == {
        "name": "dev/team/app",
        "digest": digest,
        "tagsRemoved": ["1.0"],
        "manifestRemoved": False,
        "remainingTags": ["latest"],
    }
    assert (await client.get("/v2/dev/team/app/manifests/1.0", headers=AUTH)).status_code == 404
    assert (await client.get(f"/v2/dev/team/app/manifests/{digest}")).status_code == 200
    assert (await audited(client, "manifest.delete"))["detail"] == f"removed tag 1.0 of {digest}"
    again = await client.delete(f"{base}/tags/1.0", headers=AUTH)
    assert again.status_code == 404

    await push_image(client, "dev/team/app", "2.0", image)
    removed = await client.delete(f"{base}/manifests/{digest}", headers=AUTH)
    assert removed.json()["manifestRemoved"] is True
    assert removed.json()["tagsRemoved"] == ["2.0", "latest"]
    assert (await client.get(f"/v2/dev/team/app/manifests/{digest}")).status_code == 404
    assert (await audited(client, "manifest.delete"))["detail"] == (
        f"removed manifest {digest} and tags 2.0, latest"
    )
    for path, status in [
        (f"{base}/manifests/sha256:nothex", 400),
        (f"{base}/tags/-bad", 400),
        ("/api/v1/docker/nosuch/images/a/tags/1", 404),
    ]:
        response = await client.delete(path, headers=AUTH)
        assert response.status_code == status, (path, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"


async def test_image_delete_needs_delete_right_and_respects_immutable_tags(
    client: httpx.AsyncClient,
) -> None:
    image = make_image([{"a": b"guarded"}])
    digest = await push_image(client, "prod/team/app", "1.0", image)
    await create_user(client, "pusher", "pusher-password")
    await grant(client, "user:pusher", ["prod"], ["read", "write"])
    base = "/api/v1/docker/prod/images/team/app"
    denied = await client.delete(f"{base}/tags/1.0", headers=basic("pusher", "pusher-password"))
    assert denied.status_code == 403
    for path in (f"{base}/tags/1.0", f"{base}/manifests/{digest}"):
        immutable = await client.delete(path, headers=AUTH)
        assert immutable.status_code == 403, immutable.text
        assert "immutable tags" in immutable.json()["detail"]
    assert (await client.get("/v2/prod/team/app/manifests/1.0", headers=AUTH)).status_code == 200
