"""Build info: record, list and show a CI build; promote all of its artifacts (images with
their whole index, generic files) or none of them, with the permissions it takes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cargohold.meta.schema import events
from cargohold.settings import Settings
from tests.images import OCI_INDEX, OCI_MANIFEST, Image, descriptor, make_image, sha256
from tests.integration.accounts import basic, create_user, grant
from tests.integration.audit import audited
from tests.integration.conftest import AUTH
from tests.integration.generic import create_generic, deploy
from tests.integration.oci import push_image, put_manifest

pytestmark = pytest.mark.anyio

STARTED = "2026-11-26T10:00:00Z"
FILE = "releases/app-1.0.tgz"
FILE_BYTES = b"the app, packed"


@dataclass(frozen=True)
class Built:
    """What CI pushed to dev and files-dev for build web #7."""

    app: Image  # dev/team/app:1.0
    amd: Image  # the two platforms of dev/team/web:2.0
    arm: Image
    index: str  # dev/team/web:2.0, an image index
    file: str  # files-dev/releases/app-1.0.tgz

    def document(self, number: str = "7", **changes: Any) -> dict[str, Any]:
        artifacts = [
            {
                "type": "docker",
                "repository": "dev",
                "name": "team/app",
                "digest": self.app.digest,
                "tag": "1.0",
            },
            {
                "type": "docker",
                "repository": "dev",
                "name": "team/web",
                "digest": self.index,
                "tag": "2.0",
            },
            {"type": "generic", "repository": "files-dev", "name": FILE, "digest": self.file},
        ]
        return {
            "name": "web",
            "number": number,
            "started": STARTED,
            "url": "https://ci.example.com/web/7",
            "properties": {"vcs.revision": "abc123"},
            "modules": [
                {
                    "id": "web",
                    "artifacts": artifacts,
                    "dependencies": [{"id": "python:3.12", "digest": sha256(b"python")}],
                }
            ],
        } | changes


@pytest.fixture
async def built(client: httpx.AsyncClient) -> Built:
    app = make_image([{"app": b"app"}], label="app")
    amd = make_image([{"web": b"amd64"}], architecture="amd64", label="web")
    arm = make_image([{"web": b"arm64"}], architecture="arm64", label="web")
    await push_image(client, "dev/team/app", "1.0", app)
    for platform in (amd, arm):
        await push_image(client, "dev/team/web", platform.digest, platform)
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            descriptor(OCI_MANIFEST, p.manifest, platform={"architecture": a, "os": "linux"})
            for p, a in ((amd, "amd64"), (arm, "arm64"))
        ],
    }
    pushed = await put_manifest(client, "dev/team/web", "2.0", index, OCI_INDEX)
    assert pushed.status_code == 201, pushed.text
    for key in ("files-dev", "files-staging"):
        await create_generic(client, key)
    await deploy(client, "files-dev", f"{FILE};build.name=web", FILE_BYTES)
    return Built(app, amd, arm, pushed.headers["Docker-Content-Digest"], sha256(FILE_BYTES))


async def record(
    client: httpx.AsyncClient, document: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return await client.put("/api/v1/builds", json=document, headers=headers)


async def promote(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return await client.post("/api/v1/builds/web/7/promote", json=body, headers=headers)


TO_STAGING = {
    "targetRepo": "staging",
    "targetRepos": {"generic": "files-staging"},
    "status": "staging",
    "comment": "integration tests passed",
    "copy": True,
}


async def target_state(client: httpx.AsyncClient) -> list[Any]:
    """Everything in staging and files-staging, and the build's status history."""
    found = await client.get(
        "/api/v1/search", params={"repository": "staging,files-staging"}, headers=AUTH
    )
    build = await client.get("/api/v1/builds/web/7", headers=AUTH)
    return [found.json()["items"], build.json()["statuses"]]


async def test_record_list_and_show_a_build(client: httpx.AsyncClient, built: Built) -> None:
    created = await record(client, built.document())
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/api/v1/builds/web/7"
    build = created.json()
    # A single property value comes back as a list of one.
    normal = {"properties": {"vcs.revision": ["abc123"]}, "createdBy": "admin"}
    assert build == built.document() | normal | {"created": build["created"]}
    shown = await client.get("/api/v1/builds/web/7", headers=AUTH)
    assert shown.json() == build | {"statuses": []}
    # The same name and number again replaces the build.
    newer = built.document(url="https://ci.example.com/web/7?rerun=1")
    replaced = await record(client, newer)
    assert replaced.status_code == 200
    assert replaced.json()["url"] == newer["url"]
    await record(client, built.document("8", started="2026-11-27T10:00:00Z"))
    listed = await client.get("/api/v1/builds", params={"limit": "1"}, headers=AUTH)
    page = listed.json()
    assert [(b["name"], b["number"]) for b in page["items"]] == [("web", "8")]  # newest first
    following = await client.get(
        "/api/v1/builds", params={"limit": "1", "after": page["next"]}, headers=AUTH
    )
    assert [(b["name"], b["number"]) for b in following.json()["items"]] == [("web", "7")]
    assert following.json()["next"] is None
    audit = await client.get("/api/v1/audit", params={"action": "build.record"}, headers=AUTH)
    assert [e["target"] for e in audit.json()["items"]][-1] == "builds/web/7"


async def test_promote_two_images_and_a_file(
    client: httpx.AsyncClient, built: Built, settings: Settings
) -> None:
    await record(client, built.document())
    promoted = await promote(client, TO_STAGING)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json() == {
        "name": "web",
        "number": "7",
        "status": "staging",
        "targetRepo": "staging",
        "copy": True,
        "dryRun": False,
        "artifacts": [
            {
                "type": "docker",
                "repository": "staging",
                "name": "team/app",
                "digest": built.app.digest,
                "tags": ["1.0"],
            },
            {
                "type": "docker",
                "repository": "staging",
                "name": "team/web",
                "digest": built.index,
                "tags": ["2.0"],
            },
            {
                "type": "generic",
                "repository": "files-staging",
                "name": FILE,
                "digest": built.file,
                "tags": [],
            },
        ],
    }
    # The same digests under the same tags, the whole index with every platform's blobs.
    app = await client.get("/v2/staging/team/app/manifests/1.0", headers=AUTH)
    assert app.headers["Docker-Content-Digest"] == built.app.digest
    web = await client.get(
        "/v2/staging/team/web/manifests/2.0", headers={**AUTH, "Accept": OCI_INDEX}
    )
    assert web.headers["Docker-Content-Digest"] == built.index
    for platform in (built.amd, built.arm):
        child = await client.get(f"/v2/staging/team/web/manifests/{platform.digest}", headers=AUTH)
        assert child.status_code == 200
        for blob in platform.blobs:
            fetched = await client.get(f"/v2/staging/team/web/blobs/{sha256(blob)}", headers=AUTH)
            assert fetched.content == blob
    copied = await client.get(f"/generic/files-staging/{FILE}", headers=AUTH)
    assert copied.content == FILE_BYTES
    props = await client.get(
        "/api/v1/properties", params={"repository": "files-staging", "path": FILE}, headers=AUTH
    )
    assert props.json()["properties"] == {"build.name": ["web"]}
    # A copy leaves the source as it was.
    assert (await client.get("/v2/dev/team/app/manifests/1.0", headers=AUTH)).status_code == 200
    assert (await client.get(f"/generic/files-dev/{FILE}", headers=AUTH)).content == FILE_BYTES
    # The status history and the promotion records.
    statuses = (await client.get("/api/v1/builds/web/7", headers=AUTH)).json()["statuses"]
    assert [(s["status"], s["comment"], s["repository"], s["principal"]) for s in statuses] == [
        ("staging", "integration tests passed", "staging", "admin")
    ]
    records = await client.get("/api/v1/promotions", params={"digest": built.index}, headers=AUTH)
    [only] = records.json()["items"]
    assert (only["kind"], only["sourceRepo"], only["targetRepo"], only["source"]) == (
        "build",
        "dev",
        "staging",
        "team/web",
    )
    assert (only["tags"], only["result"], only["message"]) == (
        ["2.0"],
        "ok",
        "build web #7: promoted",
    )
    # A promote event for each artifact, for the webhooks.
    engine = sa.create_engine(settings.database)
    with engine.connect() as connection:
        sent = connection.execute(
            sa.select(events.c.repository, events.c.subject, events.c.data)
            .where(events.c.type == "dev.cargohold.promote")
            .order_by(events.c.seq)
        ).all()
    engine.dispose()
    assert [(e.repository, e.subject) for e in sent] == [
        ("staging", "team/app"),
        ("staging", "team/web"),
        ("files-staging", FILE),
    ]
    assert json.loads(sent[1].data)["build"] == {"name": "web", "number": "7"}
    assert json.loads(sent[1].data)["digest"] == built.index


async def test_a_missing_artifact_promotes_nothing(client: httpx.AsyncClient, built: Built) -> None:
    document = built.document()
    gone = make_image([{"never": b"pushed"}]).digest
    document["modules"][0]["artifacts"].insert(
        1,
        {"type": "docker", "repository": "dev", "name": "team/gone", "digest": gone},
    )
    await record(client, document)
    before = await target_state(client)
    refused = await promote(client, TO_STAGING)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"image dev/team/gone@{gone} is missing" in detail
    assert "nothing was" in detail
    assert await target_state(client) == before == [[], []]
    assert (await client.get("/v2/staging/team/app/manifests/1.0", headers=AUTH)).status_code == 404
    records = await client.get("/api/v1/promotions", params={"repository": "staging"}, headers=AUTH)
    assert [(r["kind"], r["status"], r["result"]) for r in records.json()["items"]] == [
        ("build", 409, "failed")
    ]


async def test_an_artifact_changed_since_the_build_promotes_nothing(
    client: httpx.AsyncClient, built: Built
) -> None:
    await record(client, built.document())
    before = await target_state(client)
    # The file was replaced, and the tag moved to another image, after the build.
    await deploy(client, "files-dev", FILE, b"something else")
    await push_image(client, "dev/team/app", "1.0", make_image([{"app": b"rebuilt"}]))
    refused = await promote(client, TO_STAGING)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"file files-dev/{FILE} ({built.file}) now holds {sha256(b'something else')}" in detail
    assert "the tag now points to" in detail
    assert await target_state(client) == before


async def test_an_immutable_tag_in_the_target_refuses_the_whole_build(
    client: httpx.AsyncClient, built: Built
) -> None:
    await record(client, built.document())
    other = make_image([{"other": b"app"}])
    await push_image(client, "prod/team/app", "1.0", other)
    await create_generic(client, "files-prod")
    refused = await promote(
        client, TO_STAGING | {"targetRepo": "prod", "targetRepos": {"generic": "files-prod"}}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "DENIED"
    assert "immutableTags" in refused.json()["detail"]
    kept = await client.get("/v2/prod/team/app/manifests/1.0", headers=AUTH)
    assert kept.headers["Docker-Content-Digest"] == other.digest
    assert (await client.get("/v2/prod/team/web/manifests/2.0", headers=AUTH)).status_code == 404
    assert (await client.get(f"/generic/files-prod/{FILE}", headers=AUTH)).status_code == 404
    assert (await client.get("/api/v1/builds/web/7", headers=AUTH)).json()["statuses"] == []


async def test_move_and_dry_run(client: httpx.AsyncClient, built: Built) -> None:
    await record(client, built.document())
    before = await target_state(client)
    checked = await promote(client, TO_STAGING | {"copy": False, "dryRun": True})
    assert checked.status_code == 200, checked.text
    assert checked.json()["dryRun"] is True
    assert await target_state(client) == before
    moved = await promote(client, TO_STAGING | {"copy": False})
    assert moved.status_code == 200, moved.text
    assert (await client.get("/v2/staging/team/web/manifests/2.0", headers=AUTH)).status_code == 200
    assert (await client.get("/v2/dev/team/web/manifests/2.0", headers=AUTH)).status_code == 404
    assert (await client.get("/v2/dev/team/app/manifests/1.0", headers=AUTH)).status_code == 404
    assert (await client.get(f"/generic/files-dev/{FILE}", headers=AUTH)).status_code == 404
    assert (await client.get(f"/generic/files-staging/{FILE}", headers=AUTH)).status_code == 200
    records = await client.get("/api/v1/promotions", params={"repository": "dev"}, headers=AUTH)
    results = sorted(r["result"] for r in records.json()["items"])
    assert results == ["dry-run"] * 2 + ["ok"] * 2  # two images from dev, each twice
    # The artifacts have left dev: promoting the build from there again finds them missing.
    again = await promote(client, TO_STAGING)
    assert again.status_code == 409
    assert "is missing" in again.json()["detail"]


async def test_moving_out_of_immutable_tags_is_refused(client: httpx.AsyncClient) -> None:
    tool = make_image([{"tool": b"1"}])
    await push_image(client, "prod/team/tool", "1.0", tool)
    artifact = {"type": "docker", "repository": "prod", "name": "team/tool", "digest": tool.digest}
    document = {
        "name": "tool",
        "number": "1",
        "started": STARTED,
        "modules": [{"id": "tool", "artifacts": [artifact | {"tag": "1.0"}]}],
    }
    assert (await record(client, document)).status_code == 201
    url = "/api/v1/builds/tool/1/promote"
    moved = await client.post(url, json={"targetRepo": "staging"}, headers=AUTH)
    assert moved.status_code == 403
    assert "immutableTags" in moved.json()["detail"]
    assert "copy" in moved.json()["detail"]
    copied = await client.post(url, json={"targetRepo": "staging", "copy": True}, headers=AUTH)
    assert copied.status_code == 200
    assert (await client.get("/v2/prod/team/tool/manifests/1.0", headers=AUTH)).status_code == 200


async def test_permissions(client: httpx.AsyncClient, built: Built) -> None:
    await create_user(client, "ci", "password-of-ci")
    await create_user(client, "viewer", "password-of-viewer")
    ci, viewer = basic("ci", "password-of-ci"), basic("viewer", "password-of-viewer")
    await grant(client, "user:viewer", ["staging"], ["read"])
    # Recording needs write on every repository the build's artifacts are in.
    assert (await record(client, built.document(), viewer)).status_code == 403
    await grant(client, "user:ci", ["dev"], ["read", "write", "promote"])
    denied = await record(client, built.document(), ci)
    assert denied.status_code == 403
    assert "files-dev" in denied.json()["detail"]
    await grant(client, "user:ci", ["files-dev"], ["read", "write", "promote"])
    assert (await record(client, built.document(), ci)).status_code == 201
    # Reading needs read on all of them: to anyone else the build does not exist.
    assert (await client.get("/api/v1/builds/web/7", headers=viewer)).status_code == 404
    assert (await client.get("/api/v1/builds", headers=viewer)).json()["items"] == []
    assert (await client.get("/api/v1/builds/web/7", headers=ci)).status_code == 200
    assert len((await client.get("/api/v1/builds", headers=ci)).json()["items"]) == 1
    # Promoting needs write on every target, checked before anything changes.
    before = await target_state(client)
    refused = await promote(client, TO_STAGING, ci)
    assert refused.status_code == 403
    assert "'ci' may not write repository 'staging'" in refused.json()["detail"]
    await grant(client, "user:ci", ["staging"], ["write"])
    refused = await promote(client, TO_STAGING, ci)
    assert refused.status_code == 403
    assert "files-staging" in refused.json()["detail"]
    assert await target_state(client) == before
    # Moving needs delete on the sources too.
    await grant(client, "user:ci", ["files-staging"], ["write"])
    refused = await promote(client, TO_STAGING | {"copy": False}, ci)
    assert refused.status_code == 403
    assert "may not delete" in refused.json()["detail"]
    assert (await promote(client, TO_STAGING, ci)).status_code == 200
    assert (await promote(client, TO_STAGING, viewer)).status_code == 404
    anonymous = await client.post("/api/v1/builds/web/7/promote", json=TO_STAGING)
    assert anonymous.status_code == 404


async def test_each_record_and_promotion_is_audited_once(
    client: httpx.AsyncClient, built: Built
) -> None:
    await create_user(client, "viewer", "password-of-viewer")
    viewer = basic("viewer", "password-of-viewer")
    await grant(client, "user:viewer", ["dev", "files-dev", "staging"], ["read"])
    assert (await record(client, built.document(), viewer)).status_code == 403
    assert (await client.get("/api/v1/builds/web/7", headers=AUTH)).status_code == 404
    assert (await record(client, built.document())).status_code == 201
    assert (await record(client, built.document())).status_code == 200
    nightly = {"name": "nightly build+1", "number": "1", "started": STARTED, "modules": []}
    created = await record(client, nightly)
    assert created.headers["Location"] == "/api/v1/builds/nightly%20build%2B1/1"
    before = await target_state(client)
    assert (await promote(client, TO_STAGING | {"dryRun": True})).status_code == 200
    assert (await promote(client, TO_STAGING, viewer)).status_code == 403
    assert await target_state(client) == before
    assert (await promote(client, TO_STAGING)).status_code == 200
    assert await audited(client, "build.record", "build.promote") == [
        ("build.record", "viewer", "builds", 403),
        ("build.record", "admin", "builds/web/7", 201),
        ("build.record", "admin", "builds", 200),
        ("build.record", "admin", "builds/nightly%20build%2B1/1", 201),
        ("build.promote", "admin", "builds/web/7/promote", 200),
        ("build.promote", "viewer", "builds/web/7/promote", 403),
        ("build.promote", "admin", "builds/web/7/promote", 200),
    ]


async def test_a_build_of_no_artifacts_needs_write_somewhere(client: httpx.AsyncClient) -> None:
    await create_user(client, "viewer", "password-of-viewer")
    await create_user(client, "ci", "password-of-ci")
    await grant(client, "user:viewer", ["dev"], ["read"])
    await grant(client, "user:ci", ["dev"], ["write"])
    empty = {"name": "nightly", "number": "1", "started": "2026-11-26T10:00:00Z", "modules": []}
    refused = await record(client, empty, basic("viewer", "password-of-viewer"))
    assert refused.status_code == 403
    assert "may write to no repository" in refused.json()["detail"]
    assert (await record(client, empty, basic("ci", "password-of-ci"))).status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"started": "yesterday"}, 400, "RFC 3339"),
        ({"name": "a/b"}, 400, "'name'"),
        ({"number": ""}, 400, "'number'"),
        ({"branch": "main"}, 400, "unknown field 'branch'"),
        ({"modules": [{"id": "m", "artifacts": [{"type": "npm"}]}]}, 400, "type must be one of"),
        (
            {"modules": [{"id": "m", "artifacts": [{"type": "docker", "repository": "dev"}]}]},
            400,
            "modules[0].artifacts[0].name",
        ),
        ({"modules": [{"id": "m", "extra": 1}]}, 400, "modules[0]: unknown field 'extra'"),
        (
            {
                "modules": [
                    {
                        "id": "m",
                        "dependencies": [{"id": "x", "digest": "md5:abc"}],
                    }
                ]
            },
            400,
            "modules[0].dependencies[0].digest",
        ),
    ],
)
async def test_a_malformed_build_is_400_naming_the_field(
    client: httpx.AsyncClient, built: Built, change: dict[str, Any], status: int, words: str
) -> None:
    response = await record(client, built.document() | change)
    assert response.status_code == status, response.text
    assert words in json.loads(response.content)["detail"]


async def test_refusals_before_promoting(client: httpx.AsyncClient, built: Built) -> None:
    wrong_format = built.document()
    wrong_format["modules"][0]["artifacts"][2]["repository"] = "dev"
    refused = await record(client, wrong_format)
    assert refused.status_code == 400
    assert "holds docker, not generic artifacts" in refused.json()["detail"]
    await record(client, built.document())
    unknown = await client.post("/api/v1/builds/web/8/promote", json=TO_STAGING, headers=AUTH)
    assert unknown.status_code == 404
    no_target = await promote(client, {"targetRepo": "nowhere"})
    assert no_target.status_code == 404
    files_to_docker = await promote(client, {"targetRepo": "staging"})
    assert files_to_docker.status_code == 400
    assert '"targetRepos": {"generic": KEY}' in files_to_docker.json()["detail"]
    same = await promote(client, {"targetRepo": "dev", "targetRepos": {"generic": "files-dev"}})
    assert same.status_code == 400
    bad_status = await promote(client, TO_STAGING | {"status": "\n"})
    assert bad_status.status_code == 400
    assert (await target_state(client))[0] == []
