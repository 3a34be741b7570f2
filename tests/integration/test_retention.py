"""Retention through the REST API: policies only admins manage and run; a dry run lists
exactly what the real run then removes (tags and untagged manifests, as metadata), with one
audit record per run and a delete event per removal; and what no policy removes: tags its
pattern does not match, immutable tags, recent promotions, retention.protect, what a kept
manifest needs. Scheduled runs are a job that queues its next run."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cargohold.jobs import job_handlers
from cargohold.meta.schema import events, manifests, tags
from cargohold.registry.registry import Registry
from cargohold.registry.retention.runs import RUN_JOB
from cargohold.settings import Settings
from tests.images import make_image
from tests.integration.accounts import basic, create_user, grant
from tests.integration.audit import audited
from tests.integration.conftest import AUTH, LOOPBACK, PASSWORD, Clock
from tests.integration.oci import push_image
from tests.integration.test_jobs import runner
from tests.integration.test_promotion import promote, push_release

pytestmark = pytest.mark.anyio
DAY = 86400.0
HOUR = 3600


@pytest.fixture
def settings(tmp_path: Any, database: str | None) -> Settings:
    """As the integration default, with scheduled runs every hour."""
    return Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        webhook_allowed_networks=(LOOPBACK,),
        database_url=database,
        retention_interval_seconds=HOUR,
    )


async def push_tags(client: httpx.AsyncClient, name: str, *tag_names: str) -> dict[str, str]:
    """One image per tag, pushed in this order; tag → digest."""
    pushed = {}
    for tag in tag_names:
        image = make_image([{"t": f"{name}:{tag}".encode()}])
        pushed[tag] = await push_image(client, name, tag, image)
    return pushed


async def push_untagged(client: httpx.AsyncClient, name: str, content: str) -> str:
    image = make_image([{"u": content.encode()}])
    return await push_image(client, name, image.digest, image)


def backdate(settings: Settings, days: float, repository: str, *keep: str) -> None:
    """Make every manifest and tag of ``repository`` (but those of the digests ``keep``)
    look pushed ``days`` ago."""
    then = time.time() - days * DAY
    engine = sa.create_engine(settings.database)
    with engine.begin() as connection:
        connection.execute(
            manifests.update()
            .where(manifests.c.repository == repository, manifests.c.digest.not_in(keep))
            .values(created_at=then)
        )
        connection.execute(
            tags.update()
            .where(tags.c.repository == repository, tags.c.digest.not_in(keep))
            .values(updated_at=then)
        )
    engine.dispose()


async def create(
    client: httpx.AsyncClient,
    name: str,
    repositories: list[str],
    *rules: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    body = {"name": name, "repositories": repositories, "rules": list(rules), **extra}
    response = await client.post("/api/v1/retention", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def run(
    client: httpx.AsyncClient, *, dry_run: bool, policy: str | None = None
) -> list[tuple[str, str, str, str]]:
    """What the run removed (or would): (repository, image, tag or digest, rule)."""
    body: dict[str, Any] = {"dryRun": dry_run} | ({"policy": policy} if policy else {})
    response = await client.post("/api/v1/retention/run", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["dryRun"] is dry_run
    removed = [
        (r["repository"], r["image"], r["tag"] or r["digest"], r["rule"]) for r in found["removed"]
    ]
    assert found["tags"] + found["manifests"] == len(removed)
    return removed


async def tag_list(client: httpx.AsyncClient, name: str) -> list[str]:
    response = await client.get(f"/v2/{name}/tags/list", headers=AUTH)
    assert response.status_code == 200, response.text
    return sorted(response.json()["tags"] or [])


async def status(client: httpx.AsyncClient, name: str, reference: str) -> int:
    return (await client.head(f"/v2/{name}/manifests/{reference}", headers=AUTH)).status_code


async def test_only_admins_manage_and_run_retention(client: httpx.AsyncClient) -> None:
    await create_user(client, "builder", "builder-password")
    await grant(client, "user:builder", ["*"], ["read", "write", "delete", "manage"])
    builder = basic("builder", "builder-password")
    rule = {"tags": "*", "keepLast": 1}
    body = {"name": "p", "repositories": ["dev"], "rules": [rule]}
    for headers, expected in ((builder, 403), ({}, 401)):
        assert (
            await client.post("/api/v1/retention", json=body, headers=headers)
        ).status_code == expected
        assert (await client.get("/api/v1/retention", headers=headers)).status_code == expected
        assert (await client.get("/api/v1/retention/p", headers=headers)).status_code == expected
        assert (await client.delete("/api/v1/retention/p", headers=headers)).status_code == expected
        ran = await client.post("/api/v1/retention/run", json={"dryRun": True}, headers=headers)
        assert ran.status_code == expected
    refused = [e for e in await audited(client, "retention.run") if e[1] == "builder"]
    assert refused == [("retention.run", "builder", "retention/run", 403)]

    created = await create(
        client,
        "pr-cleanup",
        ["dev", "team-*"],
        {"tags": "pr-*", "olderThanDays": 14},
        {"untaggedOlderThanDays": 7},
        images="team/*",
    )
    assert created["rules"] == [{"tags": "pr-*", "olderThanDays": 14}, {"untaggedOlderThanDays": 7}]
    assert created["enabled"] is True and created["createdBy"] == "admin"
    for key in (created["id"], "pr-cleanup"):
        found = await client.get(f"/api/v1/retention/{key}", headers=AUTH)
        assert found.status_code == 200 and found.json() == created
    listed = await client.get("/api/v1/retention", headers=AUTH)
    assert [p["name"] for p in listed.json()["items"]] == ["pr-cleanup"]
    again = await client.post(
        "/api/v1/retention", json={**body, "name": "pr-cleanup"}, headers=AUTH
    )
    assert again.status_code == 409

    for bad, message in (
        ({**body, "rules": [{"keepLast": 3}]}, "'tags' is required"),
        ({**body, "rules": [{"tags": "*", "keepTags": 3}]}, "unknown field 'keepTags'"),
        ({**body, "rules": []}, "at least one rule"),
        ({**body, "name": "run"}, "not 'run'"),
        ({**body, "repositories": ["Not A Key"]}, "not a repository key"),
        ({**body, "images": "Team/*"}, "'images'"),
        ({**body, "rules": "keepLast"}, "list of objects"),
    ):
        refused_create = await client.post("/api/v1/retention", json=bad, headers=AUTH)
        assert refused_create.status_code == 400, refused_create.text
        assert message in refused_create.json()["detail"]
    no_flag = await client.post("/api/v1/retention/run", json={}, headers=AUTH)
    assert no_flag.status_code == 400 and "'dryRun'" in no_flag.json()["detail"]
    unknown = await client.post(
        "/api/v1/retention/run", json={"dryRun": True, "policy": "nope"}, headers=AUTH
    )
    assert unknown.status_code == 404

    assert (await client.delete("/api/v1/retention/pr-cleanup", headers=AUTH)).status_code == 204
    assert (await client.get(f"/api/v1/retention/{created['id']}", headers=AUTH)).status_code == 404
    changes = await audited(client, "retention.create", "retention.delete")
    assert [(e[0], e[2]) for e in changes if e[3] < 400] == [
        ("retention.create", "retention/pr-cleanup"),
        ("retention.delete", "retention/pr-cleanup"),
    ]
    assert sorted({e[3] for e in changes if e[3] >= 400}) == [400, 401, 403, 409]


async def test_keep_last_keeps_the_newest_versions_and_never_a_tag_it_does_not_match(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # 1.10.0 is pushed first: by push time it would be the oldest.
    pushed = await push_tags(client, "dev/team/app", "1.10.0", "1.9.0", "1.2.0", "latest", "pr-7")
    await create(client, "keep-newest", ["dev"], {"tags": "1.*", "keepLast": 1})
    expected = [
        ("dev", "team/app", "1.2.0", "keepLast=1 tags=1.*"),
        ("dev", "team/app", "1.9.0", "keepLast=1 tags=1.*"),
    ]
    assert await run(client, dry_run=True) == expected
    assert await tag_list(client, "dev/team/app") == ["1.10.0", "1.2.0", "1.9.0", "latest", "pr-7"]

    assert await run(client, dry_run=False) == expected
    assert await tag_list(client, "dev/team/app") == ["1.10.0", "latest", "pr-7"]
    # Removing a tag is metadata: the manifest stays, untagged, until a rule says otherwise.
    assert await status(client, "dev/team/app", pushed["1.2.0"]) == 200
    assert await run(client, dry_run=False) == []

    target = "retention/run: 2 tags, 0 untagged manifests removed by keep-newest"
    assert await audited(client, "retention.run") == [
        ("retention.run", "admin", target, 200),
        (
            "retention.run",
            "admin",
            "retention/run: 0 tags, 0 untagged manifests removed by keep-newest",
            200,
        ),
    ]
    engine = sa.create_engine(settings.database)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(events.c.repository, events.c.subject, events.c.data)
            .where(events.c.type == "dev.cargohold.delete")
            .order_by(events.c.seq)
        ).all()
    engine.dispose()
    deleted = [(r.repository, r.subject, json.loads(r.data)) for r in rows]
    assert [
        (repo, subject, d["tag"], d["digest"], d["principal"], d["retention"]["policy"])
        for repo, subject, d in deleted
    ] == [
        ("dev", "team/app", "1.2.0", pushed["1.2.0"], "admin", "keep-newest"),
        ("dev", "team/app", "1.9.0", pushed["1.9.0"], "admin", "keep-newest"),
    ]


async def test_untagged_manifests_go_after_their_days_but_not_what_a_kept_one_needs(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    release = await push_release(client, "dev/team/rel", "1.0")
    old = await push_untagged(client, "dev/team/app", "old")
    protected = await push_untagged(client, "dev/team/app", "protected")
    young = await push_untagged(client, "dev/team/app", "young")
    marked = await client.put(
        "/api/v1/properties",
        params={"repository": "dev", "image": "team/app", "digest": protected},
        json={"properties": {"retention.protect": "true"}},
        headers=AUTH,
    )
    assert marked.status_code == 200, marked.text
    backdate(settings, 10, "dev", young)
    await create(client, "untagged", ["dev"], {"untaggedOlderThanDays": 7})

    expected = [("dev", "team/app", old, "untaggedOlderThanDays=7")]
    assert await run(client, dry_run=True) == expected
    assert await run(client, dry_run=False) == expected
    assert await status(client, "dev/team/app", old) == 404
    for kept in (protected, young):
        assert await status(client, "dev/team/app", kept) == 200
    # The index is tagged: its platforms and its signature stay.
    for kept in (release["index"], release["amd"], release["signature"]):
        assert await status(client, "dev/team/rel", kept) == 200

    assert (await client.delete("/v2/dev/team/rel/manifests/1.0", headers=AUTH)).status_code == 202
    gone = await run(client, dry_run=False)
    assert {image for _, image, _, _ in gone} == {"team/rel"}
    order = [digest for _, _, digest, _ in gone]
    assert len(order) == 4  # the signature, the index, its two platforms
    # Each before what it needs: the signature before its subject, the index before its
    # platforms.
    assert order.index(release["signature"]) < order.index(release["index"])
    assert order.index(release["index"]) < order.index(release["amd"])
    for digest in (release["index"], release["amd"], release["signature"]):
        assert await status(client, "dev/team/rel", digest) == 404


async def test_immutable_promoted_and_protected_tags_are_kept(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await push_tags(client, "dev/team/app", "1.0")
    promoted = await promote(
        client, "dev", targetRepo="staging", dockerRepository="team/app", tag="1.0"
    )
    assert promoted.status_code == 200, promoted.text
    await push_tags(client, "staging/team/app", "2.0", "3.0")
    await push_tags(client, "prod/team/app", "1.0")  # prod has immutable tags
    await create(client, "everything", ["staging", "prod"], {"tags": "*", "keepLast": 0})
    rule = "keepLast=0 tags=*"
    marked = await client.put(
        "/api/v1/properties",
        params={"repository": "staging", "image": "team/app", "tag": "3.0"},
        json={"properties": {"retention.protect": "true"}},
        headers=AUTH,
    )
    assert marked.status_code == 200, marked.text
    assert await run(client, dry_run=True) == [("staging", "team/app", "2.0", rule)]

    clock.advance(8 * DAY)  # the promotion is older than retention_protect_promoted_days (7)
    assert await run(client, dry_run=False) == [
        ("staging", "team/app", "1.0", rule),
        ("staging", "team/app", "2.0", rule),
    ]
    assert await tag_list(client, "staging/team/app") == ["3.0"]
    assert await tag_list(client, "prod/team/app") == ["1.0"]


async def test_a_scheduled_run_applies_enabled_policies_and_queues_the_next(
    client: httpx.AsyncClient, registry: Registry, clock: Clock
) -> None:
    await push_tags(client, "dev/team/app", "a", "b", "c")
    await create(client, "keep-two", ["dev"], {"tags": "*", "keepLast": 2})
    await create(client, "off", ["dev"], {"tags": "*", "keepLast": 0}, enabled=False)
    job_id = await registry.retention.schedule()
    assert job_id is not None and await registry.retention.schedule() == job_id  # one queued

    async with job_handlers(registry) as every:
        only_retention = runner(registry, {RUN_JOB: every[RUN_JOB]})  # not the scans
        async with only_retention:
            assert await only_retention.run_once() is None  # not due for an hour
            clock.advance(HOUR + 1)
            assert (await only_retention.run_once()) is not None
    assert await tag_list(client, "dev/team/app") == ["b", "c"]
    job = (await client.get(f"/api/v1/jobs/{job_id}", headers=AUTH)).json()
    assert job["kind"] == "retention.run" and job["state"] == "queued"
    assert job["result"] == {"policies": ["keep-two"], "tags": 1, "manifests": 0}
    ran = [e for e in await audited(client, "retention.run")]
    assert ran == [
        (
            "retention.run",
            "system:retention",
            "retention/run: 1 tags, 0 untagged manifests removed by keep-two",
            200,
        )
    ]


async def pull(client: httpx.AsyncClient, name: str, reference: str) -> None:
    response = await client.get(f"/v2/{name}/manifests/{reference}", headers=AUTH)
    assert response.status_code == 200, response.text


async def test_unused_removes_what_nobody_pulled_and_keeps_what_was_pulled(
    client: httpx.AsyncClient, registry: Registry, clock: Clock
) -> None:
    pushed = await push_tags(client, "dev/cache/app", "idle", "used")
    by_digest = await push_untagged(client, "dev/cache/app", "pulled by digest")
    forgotten = await push_untagged(client, "dev/cache/app", "nobody pulls it")
    await create(client, "unused", ["dev"], {"tags": "*", "unusedDays": 30})
    clock.advance(20 * DAY)
    await pull(client, "dev/cache/app", "used")
    await pull(client, "dev/cache/app", by_digest)
    await registry.pull_records.flush()  # the batch the background writes a few seconds later
    clock.advance(20 * DAY)  # pushed 40 days ago, pulled 20 days ago
    rule = "unusedDays=30 tags=*"
    expected = sorted(
        [
            ("dev", "cache/app", "idle", rule),
            ("dev", "cache/app", pushed["idle"], rule),
            ("dev", "cache/app", forgotten, rule),
        ]
    )
    assert sorted(await run(client, dry_run=True)) == expected
    assert await tag_list(client, "dev/cache/app") == ["idle", "used"]
    assert sorted(await run(client, dry_run=False)) == expected
    assert await tag_list(client, "dev/cache/app") == ["used"]
    for gone in (pushed["idle"], forgotten):
        assert await status(client, "dev/cache/app", gone) == 404
    assert await status(client, "dev/cache/app", by_digest) == 200
    await registry.pull_records.flush()
    # 31 days later, "used" was last pulled 31 days ago; the manifest pulled by digest 11
    # days ago (a HEAD is a pull too), then 31.
    clock.advance(11 * DAY)
    used = [("dev", "cache/app", "used", rule), ("dev", "cache/app", pushed["used"], rule)]
    assert sorted(await run(client, dry_run=True)) == sorted(used)
    clock.advance(20 * DAY)
    assert sorted(await run(client, dry_run=True)) == sorted(
        [*used, ("dev", "cache/app", by_digest, rule)]
    )


async def test_a_thousand_pulls_of_a_manifest_write_once_an_hour_off_the_pull(
    client: httpx.AsyncClient, registry: Registry, clock: Clock
) -> None:
    await push_tags(client, "dev/hot/app", "1.0")
    writes: list[str] = []

    def note(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE manifests SET pulled_at"):
            writes.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", note)
    try:
        for _ in range(1000):
            await pull(client, "dev/hot/app", "1.0")
        assert writes == []  # nothing written by a pull itself
        await registry.pull_records.flush()
        assert len(writes) == 1
        clock.advance(HOUR - 1)
        await pull(client, "dev/hot/app", "1.0")
        await registry.pull_records.flush()
        assert len(writes) == 1
        clock.advance(2)
        await pull(client, "dev/hot/app", "1.0")
        await registry.pull_records.flush()
        assert len(writes) == 2
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", note)
