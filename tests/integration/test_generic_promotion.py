"""Properties of generic files from matrix parameters, and promotion of files and folders
between generic repositories: metadata only, recorded, with the rights it needs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cargohold.meta.schema import events
from cargohold.settings import Settings
from tests.integration.accounts import basic, create_user, grant
from tests.integration.audit import audited
from tests.integration.conftest import AUTH
from tests.integration.generic import blob_files, create_generic, deploy, message, sums

pytestmark = pytest.mark.anyio


@pytest.fixture
async def stages(client: httpx.AsyncClient) -> None:
    await create_generic(client, "files-dev")
    await create_generic(client, "files-prod")


async def properties(client: httpx.AsyncClient, repository: str, path: str) -> Any:
    response = await client.get(
        "/api/v1/properties", params={"repository": repository, "path": path}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    return response.json()["properties"]


async def promote(
    client: httpx.AsyncClient, source: str, body: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return await client.post(f"/api/v1/generic/{source}/promote", json=body, headers=headers)


async def test_matrix_parameters_become_properties(client: httpx.AsyncClient, stages: None) -> None:
    await deploy(client, "files-dev", "app.tgz;build.name=web;build.number=7;env=dev,qa", b"app")
    assert await properties(client, "files-dev", "app.tgz") == {
        "build.name": ["web"],
        "build.number": ["7"],
        "env": ["dev", "qa"],
    }
    # Values are URL-decoded after the split on commas: an encoded comma is part of a value.
    await deploy(client, "files-dev", "notes.txt;note=a%20b%2Cc;empty", b"n")
    assert await properties(client, "files-dev", "notes.txt") == {
        "empty": [""],
        "note": ["a b,c"],
    }
    # An encoded ';' is part of the name, not a parameter.
    await deploy(client, "files-dev", "odd%3Bname", b"o")
    listed = (await client.get("/generic/files-dev/", headers=AUTH)).json()["children"]
    assert "/odd;name" in [c["uri"] for c in listed]
    # The file is found without its parameters.
    assert (await client.get("/generic/files-dev/app.tgz", headers=AUTH)).content == b"app"


async def test_a_new_deploy_replaces_the_properties(
    client: httpx.AsyncClient, stages: None
) -> None:
    await deploy(client, "files-dev", "app.tgz;qa.status=passed", b"tested bytes")
    await deploy(client, "files-dev", "app.tgz;build.number=8", b"untested bytes")
    assert await properties(client, "files-dev", "app.tgz") == {"build.number": ["8"]}
    await deploy(client, "files-dev", "app.tgz", b"other bytes")
    assert await properties(client, "files-dev", "app.tgz") == {}


@pytest.mark.parametrize("parameters", [";bad key=1", ";=novalue", ";k=" + "v" * 1025])
async def test_bad_properties_are_400_and_nothing_is_stored(
    client: httpx.AsyncClient, stages: None, settings: Settings, parameters: str
) -> None:
    response = await client.put(
        f"/generic/files-dev/app.tgz{parameters.replace(' ', '%20')}", content=b"x", headers=AUTH
    )
    assert response.status_code == 400, response.text
    assert message(response)
    assert (await client.get("/generic/files-dev/app.tgz", headers=AUTH)).status_code == 404
    assert blob_files(settings.blob_root) == []


async def test_deleting_a_file_removes_its_properties(
    client: httpx.AsyncClient, stages: None
) -> None:
    await deploy(client, "files-dev", "app.tgz;qa.status=passed", b"a")
    await client.delete("/generic/files-dev/app.tgz", headers=AUTH)
    await deploy(client, "files-dev", "app.tgz", b"b")
    assert await properties(client, "files-dev", "app.tgz") == {}


async def deploy_release(client: httpx.AsyncClient) -> None:
    await deploy(client, "files-dev", "web/1.4/app.tgz;build.number=7", b"app 1.4")
    await deploy(client, "files-dev", "web/1.4/docs/index.txt", b"docs 1.4")
    await deploy(client, "files-dev", "web/1.5/app.tgz", b"app 1.5")


async def test_copy_a_folder(client: httpx.AsyncClient, stages: None, settings: Settings) -> None:
    await deploy_release(client)
    stored = blob_files(settings.blob_root)
    response = await promote(
        client,
        "files-dev",
        {
            "targetRepo": "files-prod",
            "path": "/web/1.4/",
            "copy": True,
            "properties": {"qa.status": "passed"},
            "comment": "QA signed off",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["sourceRepo"], body["targetRepo"], body["copy"]) == (
        "files-dev",
        "files-prod",
        True,
    )
    assert [(f["path"], f["targetPath"]) for f in body["files"]] == [
        ("web/1.4/app.tgz", "web/1.4/app.tgz"),
        ("web/1.4/docs/index.txt", "web/1.4/docs/index.txt"),
    ]
    assert body["files"][0]["sha256"] == sums(b"app 1.4")["sha256"]
    for path, data in (("web/1.4/app.tgz", b"app 1.4"), ("web/1.4/docs/index.txt", b"docs 1.4")):
        for repository in ("files-dev", "files-prod"):
            got = await client.get(f"/generic/{repository}/{path}", headers=AUTH)
            assert got.content == data
    assert (
        await client.get("/generic/files-prod/web/1.5/app.tgz", headers=AUTH)
    ).status_code == 404
    assert blob_files(settings.blob_root) == stored  # no byte copied
    assert await properties(client, "files-prod", "web/1.4/app.tgz") == {
        "build.number": ["7"],
        "qa.status": ["passed"],
    }
    assert await properties(client, "files-dev", "web/1.4/app.tgz") == {"build.number": ["7"]}

    history = await client.get(
        "/api/v1/promotions",
        params={"digest": f"sha256:{sums(b'app 1.4')['sha256']}"},
        headers=AUTH,
    )
    records = history.json()["items"]
    assert len(records) == 1
    record = records[0]
    assert record["kind"] == "generic"
    assert (record["sourceRepo"], record["targetRepo"]) == ("files-dev", "files-prod")
    assert (record["source"], record["target"]) == ("web/1.4/app.tgz", "web/1.4/app.tgz")
    assert record["comment"] == "QA signed off"
    assert record["properties"] == {"qa.status": ["passed"]}
    assert (record["copy"], record["result"], record["principal"]) == (True, "ok", "admin")


async def test_move_a_folder_to_another_path(client: httpx.AsyncClient, stages: None) -> None:
    await deploy_release(client)
    response = await promote(
        client, "files-dev", {"targetRepo": "files-prod", "path": "web", "targetPath": "site"}
    )
    assert response.status_code == 200, response.text
    assert [f["targetPath"] for f in response.json()["files"]] == [
        "site/1.4/app.tgz",
        "site/1.4/docs/index.txt",
        "site/1.5/app.tgz",
    ]
    assert (await client.get("/generic/files-dev/web/", headers=AUTH)).status_code == 404
    assert (await client.get("/generic/files-prod/site/1.5/app.tgz", headers=AUTH)).content == (
        b"app 1.5"
    )
    assert await properties(client, "files-prod", "site/1.4/app.tgz") == {"build.number": ["7"]}


async def test_promote_one_file_to_a_new_name(client: httpx.AsyncClient, stages: None) -> None:
    await deploy_release(client)
    response = await promote(
        client,
        "files-dev",
        {
            "targetRepo": "files-prod",
            "path": "web/1.5/app.tgz",
            "targetPath": "app.tgz",
            "copy": True,
        },
    )
    assert response.status_code == 200, response.text
    assert (await client.get("/generic/files-prod/app.tgz", headers=AUTH)).content == b"app 1.5"


async def test_a_dry_run_changes_nothing_and_is_recorded(
    client: httpx.AsyncClient, stages: None
) -> None:
    await deploy_release(client)
    response = await promote(
        client, "files-dev", {"targetRepo": "files-prod", "path": "web", "dryRun": True}
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["files"]) == 3
    assert (await client.get("/generic/files-prod/", headers=AUTH)).json()["children"] == []
    assert (await client.get("/generic/files-dev/web/1.5/app.tgz", headers=AUTH)).status_code == 200
    history = await client.get(
        "/api/v1/promotions", params={"repository": "files-prod"}, headers=AUTH
    )
    assert {r["result"] for r in history.json()["items"]} == {"dry-run"}


async def test_a_promotion_is_all_or_nothing(client: httpx.AsyncClient, stages: None) -> None:
    await deploy_release(client)
    await deploy(client, "files-prod", "web/1.5", b"a file where a folder must go")
    response = await promote(client, "files-dev", {"targetRepo": "files-prod", "path": "web"})
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert (
        await client.get("/generic/files-prod/web/1.4/app.tgz", headers=AUTH)
    ).status_code == 404
    assert (await client.get("/generic/files-dev/web/1.4/app.tgz", headers=AUTH)).status_code == 200
    history = await client.get(
        "/api/v1/promotions", params={"repository": "files-prod"}, headers=AUTH
    )
    assert [r["status"] for r in history.json()["items"]] == [409]


async def test_identical_content_at_the_target_is_fine(
    client: httpx.AsyncClient, stages: None
) -> None:
    await deploy(client, "files-dev", "app.tgz", b"same")
    await deploy(client, "files-prod", "app.tgz", b"same")
    response = await promote(client, "files-dev", {"targetRepo": "files-prod", "path": "app.tgz"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"targetRepo": "files-prod", "path": "nothing"}, 404, "no file or folder"),
        ({"targetRepo": "nowhere", "path": "web"}, 404, "nowhere"),
        ({"targetRepo": "prod", "path": "web"}, 400, "not generic files"),
        ({"targetRepo": "files-dev", "path": "web", "targetPath": "web/old"}, 400, "inside"),
        ({"targetRepo": "files-prod", "path": "web/../x"}, 400, "'..'"),
        ({"targetRepo": "files-prod"}, 400, "'path'"),
        ({"targetRepo": "files-prod", "path": "web", "copy": "yes"}, 400, "'copy'"),
        ({"targetRepo": "files-prod", "path": "web", "tag": "1"}, 400, "unknown field"),
        ({"targetRepo": "files-prod", "path": "web", "properties": {"bad key": "1"}}, 400, "key"),
    ],
)
async def test_refusals(
    client: httpx.AsyncClient, stages: None, body: dict[str, Any], status: int, words: str
) -> None:
    await deploy_release(client)
    response = await promote(client, "files-dev", body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


async def test_promotion_needs_promote_on_the_source_and_write_on_the_target(
    client: httpx.AsyncClient, stages: None
) -> None:
    await deploy_release(client)
    await create_user(client, "ci", "ci-password-123")
    ci = basic("ci", "ci-password-123")
    copy = {"targetRepo": "files-prod", "path": "web/1.4", "copy": True}
    await grant(client, "user:ci", ["files-dev"], ["read"])
    assert (await promote(client, "files-dev", copy, ci)).status_code == 403
    await grant(client, "user:ci", ["files-dev"], ["promote"])
    refused = await promote(client, "files-dev", copy, ci)
    assert refused.status_code == 403
    assert "files-prod" in refused.json()["detail"]
    await grant(client, "user:ci", ["files-prod"], ["write"])
    assert (await promote(client, "files-dev", copy, ci)).status_code == 200
    # Moving takes the files away from the source: that needs delete there too.
    move = {"targetRepo": "files-prod", "path": "web/1.5"}
    assert (await promote(client, "files-dev", move, ci)).status_code == 403
    await grant(client, "user:ci", ["files-dev"], ["delete"])
    assert (await promote(client, "files-dev", move, ci)).status_code == 200
    # Replacing a different file at the target needs delete on the target.
    await deploy(client, "files-dev", "web/1.4/app.tgz", b"rebuilt")
    assert (await promote(client, "files-dev", copy, ci)).status_code == 403
    await grant(client, "user:ci", ["files-prod"], ["delete"])
    assert (await promote(client, "files-dev", copy, ci)).status_code == 200
    assert (await client.get("/generic/files-prod/web/1.4/app.tgz", headers=AUTH)).content == (
        b"rebuilt"
    )
    anonymous = await client.post("/api/v1/generic/files-dev/promote", json=copy)
    assert anonymous.status_code == 401


async def test_promotion_is_audited(client: httpx.AsyncClient, stages: None) -> None:
    await deploy_release(client)
    await create_user(client, "ci", "ci-password-123")
    ci = basic("ci", "ci-password-123")
    await grant(client, "user:ci", ["files-prod"], ["read"])
    copy = {"targetRepo": "files-prod", "path": "web", "copy": True}
    assert (await promote(client, "files-dev", copy | {"dryRun": True})).status_code == 200
    assert (await promote(client, "files-dev", copy, ci)).status_code == 403
    listing = await client.get("/api/v1/generic/files-prod/files", headers=AUTH)
    assert listing.json()["items"] == []  # neither the dry run nor the refusal changed anything
    assert (await promote(client, "files-dev", copy)).status_code == 200
    target = "generic/files-dev/promote"
    assert await audited(client, "generic.promote") == [
        ("generic.promote", "admin", target, 200),
        ("generic.promote", "ci", target, 403),
        ("generic.promote", "admin", target, 200),
    ]


async def test_the_promotion_log_shows_what_the_caller_may_read(
    client: httpx.AsyncClient, stages: None
) -> None:
    await create_generic(client, "files-other")
    await deploy(client, "files-dev", "app.tgz", b"app")
    for target in ("files-prod", "files-other"):
        body = {"targetRepo": target, "path": "app.tgz", "copy": True}
        assert (await promote(client, "files-dev", body)).status_code == 200
    await create_user(client, "auditor", "auditor-password")
    auditor = basic("auditor", "auditor-password")

    async def seen() -> list[str]:
        response = await client.get("/api/v1/promotions", headers=auditor)
        assert response.status_code == 200, response.text
        return sorted(p["targetRepo"] for p in response.json()["items"])

    assert await seen() == []
    await grant(client, "user:auditor", ["files-prod"], ["read"])
    assert await seen() == ["files-prod"]
    await grant(client, "user:auditor", ["files-dev"], ["read"])
    assert await seen() == ["files-other", "files-prod"]
    assert (await client.get("/api/v1/promotions")).status_code == 401


async def test_writes_emit_events(
    client: httpx.AsyncClient, stages: None, settings: Settings
) -> None:
    """Each file deployed, promoted and deleted is one event for the webhooks."""
    await deploy(client, "files-dev", "app.tgz;build.number=7", b"app")
    await promote(
        client, "files-dev", {"targetRepo": "files-prod", "path": "app.tgz", "copy": True}
    )
    await client.delete("/generic/files-dev/app.tgz", headers=AUTH)
    engine = sa.create_engine(settings.database)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(events).order_by(events.c.seq)).all()
    engine.dispose()
    seen = [(row.type, row.repository, row.subject) for row in rows]
    assert seen == [
        ("dev.cargohold.push", "files-dev", "app.tgz"),
        ("dev.cargohold.promote", "files-prod", "app.tgz"),
        ("dev.cargohold.delete", "files-dev", "app.tgz"),
    ]
    pushed = json.loads(rows[0].data)
    assert pushed["digest"] == f"sha256:{sums(b'app')['sha256']}"
    assert pushed["properties"] == {"build.number": ["7"]}
    assert pushed["principal"] == "admin"
    assert json.loads(rows[1].data)["sourceRepository"] == "files-dev"
