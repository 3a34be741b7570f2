"""Virtual repositories over local members: pulls resolve in member order, pushes go to the
default deploy repository, members the caller may not read are skipped (never leaked), tags
and the catalog are the union."""

from __future__ import annotations

import httpx
import pytest

from cargohold.records.repositories import Virtual
from cargohold.registry.registry import Registry
from tests.images import OCI_MANIFEST, make_image, sha256
from tests.integration.accounts import basic, create_user, grant, registry_token
from tests.integration.conftest import AUTH
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio

ALICE = basic("alice", "password-of-user")


@pytest.fixture
async def virtual(registry: Registry, client: httpx.AsyncClient) -> Registry:
    """``all`` = [staging, prod], deploying to staging; alice reads ``all`` and staging but
    not prod."""
    await registry.repositories.create(
        "all", kind="virtual", virtual=Virtual(("staging", "prod"), "staging")
    )
    await registry.repositories.create("view", kind="virtual", virtual=Virtual(("prod",)))
    await create_user(client, "alice")
    await grant(client, "user:alice", ["all", "staging", "view"], ["read", "write"])
    return registry


async def test_a_pull_resolves_in_member_order(
    virtual: Registry, client: httpx.AsyncClient
) -> None:
    older, newer = make_image([{"v": b"prod"}]), make_image([{"v": b"staging"}])
    in_prod = await push_image(client, "prod/team/app", "1.0", older)
    in_staging = await push_image(client, "staging/team/app", "1.0", newer)
    only_prod = await push_image(client, "prod/team/app", "0.9", older)
    first = await client.get("/v2/all/team/app/manifests/1.0", headers=AUTH)
    assert first.headers["Docker-Content-Digest"] == in_staging  # staging is listed first
    fallback = await client.get("/v2/all/team/app/manifests/0.9", headers=AUTH)
    assert fallback.headers["Docker-Content-Digest"] == only_prod == in_prod
    for blob in older.blobs:  # blobs come from whichever member holds them
        digest = sha256(blob)
        pulled = await client.get(f"/v2/all/team/app/blobs/{digest}", headers=AUTH)
        assert pulled.status_code == 200 and pulled.content == blob
    tags = await client.get("/v2/all/team/app/tags/list", headers=AUTH)
    assert tags.json() == {"name": "all/team/app", "tags": ["0.9", "1.0"]}
    catalog = (await client.get("/v2/_catalog", headers=AUTH)).json()["repositories"]
    assert {"all/team/app", "prod/team/app", "staging/team/app", "view/team/app"} <= set(catalog)


async def test_a_member_the_caller_cannot_read_is_skipped(
    virtual: Registry, client: httpx.AsyncClient
) -> None:
    secret = make_image([{"secret": b"only in prod"}])
    digest = await push_image(client, "prod/team/secret", "1.0", secret)
    refused = await client.get("/v2/all/team/secret/manifests/1.0", headers=ALICE)
    assert refused.status_code == 404
    message = refused.json()["errors"][0]["message"]
    assert "prod" not in message.split("may read")[1]  # not even named
    by_digest = await client.get(f"/v2/view/team/secret/manifests/{digest}", headers=ALICE)
    assert by_digest.status_code == 404
    tags = await client.get("/v2/all/team/secret/tags/list", headers=ALICE)
    assert tags.json()["tags"] == []
    catalog = (await client.get("/v2/_catalog", headers=ALICE)).json()["repositories"]
    assert not [name for name in catalog if name.endswith("team/secret")]
    # The administrator, who reads prod, gets it through the same virtual repository.
    allowed = await client.get("/v2/all/team/secret/manifests/1.0", headers=AUTH)
    assert allowed.headers["Docker-Content-Digest"] == digest


async def test_a_push_goes_to_the_default_deploy_repository(
    virtual: Registry, client: httpx.AsyncClient
) -> None:
    image = make_image([{"pushed": b"through all"}])
    token = await registry_token(client, "repository:all/team/pushed:pull,push", ALICE)
    headers = {"Authorization": f"Bearer {token}"}
    for blob in image.blobs:
        started = await client.post("/v2/all/team/pushed/blobs/uploads/", headers=headers)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        assert location.startswith("/v2/all/team/pushed/blobs/uploads/")  # as asked
        digest = sha256(blob)
        done = await client.put(location, params={"digest": digest}, content=blob, headers=headers)
        assert done.status_code == 201, done.text
    pushed = await client.put(
        "/v2/all/team/pushed/manifests/1.0",
        content=image.manifest,
        headers={**headers, "Content-Type": OCI_MANIFEST},
    )
    assert pushed.status_code == 201, pushed.text
    assert pushed.headers["Location"].startswith("/v2/all/team/pushed/manifests/")
    landed = await client.get("/v2/staging/team/pushed/manifests/1.0", headers=AUTH)
    assert landed.headers["Docker-Content-Digest"] == image.digest
    absent = await client.get("/v2/prod/team/pushed/manifests/1.0", headers=AUTH)
    assert absent.status_code == 404


async def test_a_push_without_a_deploy_repository_is_refused(
    virtual: Registry, client: httpx.AsyncClient
) -> None:
    refused = await client.post("/v2/view/team/app/blobs/uploads/", headers=AUTH)
    assert refused.status_code == 403
    error = refused.json()["errors"][0]
    assert error["code"] == "DENIED"
    assert "no default deploy repository" in error["message"]
    assert "cargohold repo update view --default-deploy" in error["message"]


async def test_a_tag_in_a_type_the_client_does_not_accept_is_not_taken_from_the_next_member(
    virtual: Registry, client: httpx.AsyncClient
) -> None:
    oci, other = make_image([{"v": b"oci in staging"}]), make_image([{"v": b"prod's"}])
    await push_image(client, "staging/team/typed", "1.0", oci)
    await push_image(client, "prod/team/typed", "1.0", other)
    docker_only = {**AUTH, "Accept": "application/vnd.docker.distribution.manifest.v2+json"}
    pulled = await client.get("/v2/all/team/typed/manifests/1.0", headers=docker_only)
    assert pulled.status_code == 404  # staging has the tag; prod's is not served instead
    assert "does not accept" in pulled.json()["errors"][0]["message"]
