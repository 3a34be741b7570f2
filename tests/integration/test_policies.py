"""Policies and watches in-process: an image holding a real Python package (urllib3 1.26.5,
its METADATA as pip installs it) matched against OSV advisories; a watch applies a policy to
a repository and the policy blocks pulls (OCI ``DENIED``), generic downloads and promotions
(problem JSON) with a message that names the policy and the worst advisory; admins grant
time-limited, audited exceptions; notifying policies send ``violation`` events."""

from __future__ import annotations

import json
import zipfile
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

import httpx
import pytest

from cargohold.jobs import JobRunner, job_handlers
from cargohold.registry.registry import Registry
from tests.images import Image, make_image
from tests.integration.accounts import basic, create_user
from tests.integration.audit import audited
from tests.integration.conftest import AUTH, Clock
from tests.integration.generic import create_generic, deploy
from tests.integration.oci import push_image
from tests.receiver import Receiver
from tests.unit import cataloger_fixtures as fx

pytestmark = pytest.mark.anyio

URLLIB3 = "usr/lib/python3/dist-packages/urllib3-1.26.5.dist-info/METADATA"
HIGH = "GHSA-v845-jxx5-vc9f"  # CVE-2023-43804, fixed in 1.26.17
MEDIUM = "GHSA-g4mx-q9vg-27p4"  # CVE-2023-45803, fixed in 1.26.18


def advisory(osv_id: str, alias: str, vector: str, fixed: str) -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": osv_id,
        "modified": "2024-02-01T00:00:00Z",
        "published": "2023-10-17T00:00:00Z",
        "aliases": [alias],
        "summary": f"urllib3 before {fixed}",
        "severity": [{"type": "CVSS_V3", "score": vector}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "urllib3", "purl": "pkg:pypi/urllib3"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


ADVISORIES = [
    advisory(HIGH, "CVE-2023-43804", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "1.26.17"),
    advisory(MEDIUM, "CVE-2023-45803", "CVSS:3.1/AV:A/AC:H/PR:H/UI:R/S:U/C:H/I:N/A:N", "1.26.18"),
]
BLOCKED_HIGH = (
    f'blocked by policy "no-high" (watch "dev-gate"): {HIGH} (HIGH) in urllib3 1.26.5; '
    "ask an admin for an exception"
)


@cache
def wheel() -> bytes:
    return fx.fixture(fx.URLLIB3_WHEEL).read_bytes()


@cache
def metadata() -> bytes:
    """urllib3's METADATA, as pip leaves it in dist-packages (License: MIT)."""
    with zipfile.ZipFile(fx.fixture(fx.URLLIB3_WHEEL)) as archive:
        return archive.read("urllib3-1.26.5.dist-info/METADATA")


def vulnerable(label: str = "app") -> Image:
    return make_image([{URLLIB3: metadata(), "etc/label": label.encode()}], label=label)


def clean(label: str = "clean") -> Image:
    return make_image([{"etc/label": label.encode()}], label=label)


@pytest.fixture
async def advisories(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/vulndb/import",
        content=json.dumps(ADVISORIES),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 2


async def scanned(client: httpx.AsyncClient, registry: Registry, name: str, image: Image) -> str:
    """Push ``image`` as ``name``:1.0 and scan it as the background job would."""
    digest = await push_image(client, name, "1.0", image)
    await registry.scans.run(digest)
    return digest


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def policy(
    client: httpx.AsyncClient, name: str, rules: dict[str, Any], **actions: bool
) -> dict[str, Any]:
    return await create(client, "policies", {"name": name, "rules": rules, "actions": actions})


async def watch(client: httpx.AsyncClient, name: str, repositories: list[str], *names: str) -> None:
    await create(client, "watches", {"name": name, "repositories": repositories, "policies": names})


async def pull(client: httpx.AsyncClient, name: str, reference: str) -> httpx.Response:
    return await client.get(f"/v2/{name}/manifests/{reference}", headers=AUTH)


def denied(response: httpx.Response) -> str:
    """The message of an OCI DENIED answer."""
    assert response.status_code == 403, response.text
    [error] = response.json()["errors"]
    assert error["code"] == "DENIED"
    message: str = error["message"]
    return message


async def audit_actions(client: httpx.AsyncClient) -> list[tuple[str, str, int]]:
    response = await client.get("/api/v1/audit", params={"limit": 50}, headers=AUTH)
    assert response.status_code == 200, response.text
    return [(e["action"], e["target"], e["status"]) for e in response.json()["items"]]


async def test_a_pull_of_a_violating_image_is_denied_by_tag_and_by_digest(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    digest = await scanned(client, registry, "dev/team/app", vulnerable())
    await scanned(client, registry, "dev/team/tidy", clean())
    await scanned(client, registry, "staging/team/app", vulnerable())
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "no-high")

    by_tag = await pull(client, "dev/team/app", "1.0")
    assert denied(by_tag) == BLOCKED_HIGH
    assert by_tag.json()["errors"][0]["detail"] == {
        "policy": "no-high",
        "watch": "dev-gate",
        "rule": "minSeverity",
        "advisory": HIGH,
        "severity": "HIGH",
        "component": "urllib3 1.26.5",
        "digest": digest,
    }
    assert denied(await pull(client, "dev/team/app", digest)) == BLOCKED_HIGH
    head = await client.head("/v2/dev/team/app/manifests/1.0", headers=AUTH)
    assert head.status_code == 403 and head.content == b""
    # Anonymous pulls of the (anonymously readable) dev repository are blocked alike.
    assert denied(await client.get(f"/v2/dev/team/app/manifests/{digest}")) == BLOCKED_HIGH
    # A clean image in the same repository, and the same image where no watch looks, pass.
    assert (await pull(client, "dev/team/tidy", "1.0")).status_code == 200
    assert (await pull(client, "staging/team/app", "1.0")).status_code == 200
    # Every refused pull is in the audit log: who tried, what, and the 403.
    audit = await client.get("/api/v1/audit", params={"action": "download.blocked"}, headers=AUTH)
    assert [(e["principal"], e["target"], e["status"]) for e in audit.json()["items"]] == [
        ("anonymous", f"dev/team/app@{digest}", 403),
        ("admin", "dev/team/app:1.0", 403),
        ("admin", f"dev/team/app@{digest}", 403),
        ("admin", "dev/team/app:1.0", 403),
    ]


async def test_the_message_names_the_worst_advisory_and_counts_the_others(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    await scanned(client, registry, "dev/team/app", vulnerable())
    await policy(client, "no-medium", {"minSeverity": "medium"}, blockDownload=True)
    await watch(client, "everything", ["*"], "no-medium")
    assert denied(await pull(client, "dev/team/app", "1.0")) == (
        f'blocked by policy "no-medium" (watch "everything"): {HIGH} (HIGH) in urllib3 1.26.5 '
        "(and 1 more); ask an admin for an exception"
    )


async def test_an_advisory_rule_matches_an_alias_and_an_exception_lifts_it_until_it_expires(
    client: httpx.AsyncClient, registry: Registry, advisories: None, clock: Clock
) -> None:
    digest = await scanned(client, registry, "dev/team/app", vulnerable())
    await policy(client, "no-cookie-leak", {"advisories": ["CVE-2023-45803"]}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "no-cookie-leak")
    assert denied(await pull(client, "dev/team/app", "1.0")) == (
        f'blocked by policy "no-cookie-leak" (watch "dev-gate"): {MEDIUM} (MEDIUM) in urllib3 '
        "1.26.5; ask an admin for an exception"
    )

    granted = await create(
        client,
        "policies/exceptions",
        {
            "digest": digest,
            "advisory": "CVE-2023-45803",
            "expiresIn": 3600,
            "reason": "not reachable: the service never follows redirects",
        },
    )
    assert granted["digest"] == digest and granted["advisory"] == "CVE-2023-45803"
    assert granted["policy"] is None and granted["expired"] is False
    assert granted["createdBy"] == "admin"
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200
    assert (await pull(client, "dev/team/app", digest)).status_code == 200
    assert (
        "policy-exception.grant",
        f"policies/exceptions/{granted['id']}",
        201,
    ) in await audit_actions(client)

    clock.advance(3601)
    assert denied(await pull(client, "dev/team/app", "1.0")).startswith(
        'blocked by policy "no-cookie-leak"'
    )
    listed = await client.get("/api/v1/policies/exceptions", headers=AUTH)
    [shown] = listed.json()["items"]
    assert (shown["id"], shown["expired"]) == (granted["id"], True)
    active = await client.get("/api/v1/policies/exceptions?expired=false", headers=AUTH)
    assert active.json()["items"] == []

    revoked = await client.delete(f"/api/v1/policies/exceptions/{granted['id']}", headers=AUTH)
    assert revoked.status_code == 204
    assert ("policy-exception.revoke", f"policies/exceptions/{granted['id']}", 204) in (
        await audit_actions(client)
    )
    gone = await client.delete(f"/api/v1/policies/exceptions/{granted['id']}", headers=AUTH)
    assert gone.status_code == 404


async def test_an_exception_is_per_advisory_and_per_policy(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    digest = await scanned(client, registry, "dev/team/app", vulnerable())
    await policy(client, "no-medium", {"minSeverity": "MEDIUM"}, blockDownload=True)
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "no-medium", "no-high")
    grant = {"digest": digest, "expiresIn": 600, "reason": "fix ships tomorrow"}
    await create(client, "policies/exceptions", grant | {"advisory": HIGH, "policy": "no-high"})
    # The HIGH advisory is still a violation of no-medium, which the exception does not name.
    assert denied(await pull(client, "dev/team/app", "1.0")) == (
        f'blocked by policy "no-medium" (watch "dev-gate"): {HIGH} (HIGH) in urllib3 1.26.5 '
        "(and 1 more); ask an admin for an exception"
    )
    await create(client, "policies/exceptions", grant | {"advisory": HIGH})
    assert denied(await pull(client, "dev/team/app", "1.0")) == (
        f'blocked by policy "no-medium" (watch "dev-gate"): {MEDIUM} (MEDIUM) in urllib3 '
        "1.26.5; ask an admin for an exception"
    )
    await create(client, "policies/exceptions", grant | {"advisory": MEDIUM})
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200


async def test_an_exception_on_an_index_covers_the_manifests_it_lists(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    child = await scanned(client, registry, "dev/team/app", vulnerable())
    image = vulnerable()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": child,
                "size": len(image.manifest),
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
    body = json.dumps(index).encode()
    put = await client.put(
        "/v2/dev/team/app/manifests/multi",
        content=body,
        headers={**AUTH, "Content-Type": "application/vnd.oci.image.index.v1+json"},
    )
    assert put.status_code == 201, put.text
    index_digest = put.headers["Docker-Content-Digest"]
    await registry.scans.run(index_digest)
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "no-high")
    assert denied(await pull(client, "dev/team/app", "multi")) == BLOCKED_HIGH
    assert denied(await pull(client, "dev/team/app", child)) == BLOCKED_HIGH

    grant = {"digest": index_digest, "advisory": HIGH, "expiresIn": 60, "reason": "hotfix"}
    await create(client, "policies/exceptions", grant)
    # What docker does: the index by tag, then the platform's manifest by digest.
    assert (await pull(client, "dev/team/app", "multi")).status_code == 200
    assert (await pull(client, "dev/team/app", child)).status_code == 200


async def test_a_promotion_into_a_watched_repository_is_refused_with_a_problem_and_recorded(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    digest = await scanned(client, registry, "dev/team/app", vulnerable())
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockPromotion=True)
    await watch(client, "prod-gate", ["prod"], "no-high")
    body = {"targetRepo": "prod", "dockerRepository": "team/app", "tag": "1.0", "copy": True}

    refused = await client.post("/api/v1/docker/dev/promote", json=body, headers=AUTH)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    detail = (
        "dev/team/app:1.0 cannot be promoted to 'prod': blocked by policy \"no-high\" (watch "
        f'"prod-gate"): {HIGH} (HIGH) in urllib3 1.26.5; ask an admin for an exception'
    )
    assert problem == {
        "type": "https://cargohold.dev/problems/policy-violation",
        "title": "Blocked by policy",
        "status": 403,
        "detail": detail,
        "instance": "/api/v1/docker/dev/promote",
        "code": "DENIED",
        "policy": "no-high",
        "watch": "prod-gate",
        "rule": "minSeverity",
        "advisory": HIGH,
        "severity": "HIGH",
        "component": "urllib3 1.26.5",
        "digest": digest,
    }
    assert (await pull(client, "prod/team/app", "1.0")).status_code == 404
    history = await client.get("/api/v1/promotions?image=team/app", headers=AUTH)
    [record] = history.json()["items"]
    assert (record["targetRepo"], record["status"], record["result"]) == ("prod", 403, "denied")
    assert record["message"] == detail
    # A dry run says the same; the policy does not block pulls, nor promotions elsewhere.
    dry = await client.post(
        "/api/v1/docker/dev/promote", json=body | {"dryRun": True}, headers=AUTH
    )
    assert dry.status_code == 403 and dry.json()["detail"] == detail
    assert (await pull(client, "dev/team/app", digest)).status_code == 200
    staged = body | {"targetRepo": "staging"}
    assert (await client.post("/api/v1/docker/dev/promote", json=staged, headers=AUTH)).is_success

    grant = {"digest": digest, "advisory": HIGH, "expiresIn": 86400, "reason": "accepted risk"}
    await create(client, "policies/exceptions", grant)
    promoted = await client.post("/api/v1/docker/dev/promote", json=body, headers=AUTH)
    assert promoted.status_code == 200, promoted.text
    assert (await pull(client, "prod/team/app", "1.0")).status_code == 200
    assert await audited(client, "docker.promote") == [
        ("docker.promote", "admin", "docker/dev/promote", status) for status in (403, 403, 200, 200)
    ]


async def test_a_build_promotion_is_refused_as_a_whole(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    digest = await scanned(client, registry, "dev/team/app", vulnerable())
    tidy = await scanned(client, registry, "dev/team/tidy", clean())
    artifacts = [
        {"type": "docker", "repository": "dev", "name": name, "digest": d, "tag": "1.0"}
        for name, d in (("team/tidy", tidy), ("team/app", digest))
    ]
    build = {"name": "web", "number": "7", "started": "2026-11-26T10:00:00Z"}
    recorded = await client.put(
        "/api/v1/builds",
        json=build | {"modules": [{"id": "web", "artifacts": artifacts}]},
        headers=AUTH,
    )
    assert recorded.status_code == 201, recorded.text
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockPromotion=True)
    await watch(client, "prod-gate", ["prod"], "no-high")

    refused = await client.post(
        "/api/v1/builds/web/7/promote", json={"targetRepo": "prod", "copy": True}, headers=AUTH
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"image dev/team/app:1.0@{digest} cannot be promoted to 'prod': blocked by policy "
        f'"no-high" (watch "prod-gate"): {HIGH} (HIGH) in urllib3 1.26.5; ask an admin for '
        "an exception"
    )
    assert (await pull(client, "prod/team/tidy", "1.0")).status_code == 404  # none of it


async def test_generic_files_are_blocked_on_download_and_promotion(
    client: httpx.AsyncClient, registry: Registry, advisories: None
) -> None:
    await create_generic(client, "files")
    await create_generic(client, "files-prod")
    deployed = await deploy(client, "files", "libs/urllib3-1.26.5-py2.py3-none-any.whl", wheel())
    digest = "sha256:" + deployed["checksums"]["sha256"]
    await registry.scans.run(digest)
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockDownload=True)
    await policy(client, "no-high-in-prod", {"minSeverity": "HIGH"}, blockPromotion=True)
    await watch(client, "files-gate", ["files"], "no-high")
    await watch(client, "prod-gate", ["files-prod"], "no-high-in-prod")

    download = await client.get(
        "/generic/files/libs/urllib3-1.26.5-py2.py3-none-any.whl", headers=AUTH
    )
    assert download.status_code == 403
    message = (
        f'blocked by policy "no-high" (watch "files-gate"): {HIGH} (HIGH) in urllib3 1.26.5; '
        "ask an admin for an exception"
    )
    assert download.json() == {"errors": [{"status": 403, "message": message}]}
    audit = await client.get("/api/v1/audit", params={"action": "download.blocked"}, headers=AUTH)
    assert [(e["target"], e["repository"]) for e in audit.json()["items"]] == [
        ("files/libs/urllib3-1.26.5-py2.py3-none-any.whl", "files")
    ]
    promoted = await client.post(
        "/api/v1/generic/files/promote",
        json={"targetRepo": "files-prod", "path": "libs", "copy": True},
        headers=AUTH,
    )
    assert promoted.status_code == 403
    assert promoted.json()["detail"].startswith(
        "files/libs/urllib3-1.26.5-py2.py3-none-any.whl cannot be promoted to 'files-prod': "
        'blocked by policy "no-high-in-prod" (watch "prod-gate")'
    )
    listing = await client.get("/api/v1/generic/files-prod/files", headers=AUTH)
    assert listing.json()["items"] == []


async def test_a_denied_license_blocks_until_an_exception_names_it(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    digest = await scanned(client, registry, "dev/team/app", vulnerable())
    await policy(client, "no-mit", {"licenses": ["mit", "AGPL-3.0-only"]}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "no-mit")
    assert denied(await pull(client, "dev/team/app", "1.0")) == (
        'blocked by policy "no-mit" (watch "dev-gate"): urllib3 1.26.5 is licensed MIT, and '
        'the policy denies mit; ask an admin for an exception for "license:mit"'
    )
    grant = {"digest": digest, "advisory": "license:MIT", "expiresIn": 60, "reason": "legal ok"}
    await create(client, "policies/exceptions", grant)
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200


async def test_an_image_not_scanned_in_time_is_blocked_until_its_scan_is_done(
    client: httpx.AsyncClient, registry: Registry, clock: Clock
) -> None:
    await policy(client, "scan-first", {"maxUnscannedSeconds": 600}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "scan-first")
    digest = await push_image(client, "dev/team/app", "1.0", vulnerable())  # not scanned
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200
    clock.advance(601)
    assert denied(await pull(client, "dev/team/app", "1.0")) == (
        'blocked by policy "scan-first" (watch "dev-gate"): its scan is still pending 601 s '
        "after it was asked for; the policy allows 600 s; it passes once its scan is done "
        "(POST /api/v1/scan asks for one)"
    )
    await registry.scans.run(digest)
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200


async def test_an_incomplete_scan_blocks_when_the_policy_says_so(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    # 3 MiB of zeros gzip to a few KiB: a suspected compression bomb, not searched.
    bomb = make_image([{"opt/blob.bin": bytes(3 << 20)}], label="bomb")
    await scanned(client, registry, "dev/team/bomb", bomb)
    await scanned(client, registry, "dev/team/tidy", clean())
    await policy(client, "complete-only", {"blockIncomplete": True}, blockDownload=True)
    await watch(client, "dev-gate", ["dev"], "complete-only")
    message = denied(await pull(client, "dev/team/bomb", "1.0"))
    assert message.startswith(
        'blocked by policy "complete-only" (watch "dev-gate"): its scan is incomplete: '
        "compression bomb suspected at sha256:"
    )
    assert message.endswith("; an admin may change the policy")
    assert (await pull(client, "dev/team/tidy", "1.0")).status_code == 200


@pytest.fixture
async def runner(registry: Registry) -> AsyncIterator[JobRunner]:
    async with JobRunner(registry.jobs, lambda: job_handlers(registry)) as jobs:
        yield jobs


async def test_a_notifying_policy_sends_a_violation_event_to_webhooks(
    client: httpx.AsyncClient,
    registry: Registry,
    advisories: None,
    runner: JobRunner,
    receiver: Receiver,
) -> None:
    await create(
        client,
        "webhooks",
        {
            "name": "security",
            "url": receiver.url,
            "secret": "a-webhook-secret-of-some-length",
            "events": ["violation"],
        },
    )
    await policy(client, "no-high", {"minSeverity": "HIGH"}, notify=True)
    await watch(client, "dev-gate", ["dev"], "no-high")
    # Scanned by the jobs each push queues, as on a server.
    digest = await push_image(client, "dev/team/app", "1.0", vulnerable())
    await push_image(client, "staging/team/app", "1.0", vulnerable("other"))  # not watched
    await push_image(client, "dev/team/tidy", "1.0", clean())
    await runner.drain()

    [received] = receiver.requests
    event = received.event
    assert (event["type"], event["source"], event["subject"]) == (
        "dev.cargohold.violation",
        "/repositories/dev",
        "team/app",
    )
    assert event["data"] == {
        "digest": digest,
        "kind": "image",
        "repository": "dev",
        "name": "dev/team/app",
        "tags": ["1.0"],
        "policy": "no-high",
        "watch": "dev-gate",
        "advisory": HIGH,
        "severity": "HIGH",
        "message": f"{HIGH} (HIGH) in urllib3 1.26.5",
        "violations": [
            {
                "policy": "no-high",
                "watch": "dev-gate",
                "rule": "minSeverity",
                "message": f"{HIGH} (HIGH) in urllib3 1.26.5",
                "advisory": HIGH,
                "severity": "HIGH",
                "component": "urllib3 1.26.5",
            }
        ],
    }
    # Notify only: nothing is blocked.
    assert (await pull(client, "dev/team/app", "1.0")).status_code == 200


async def test_policies_and_watches_crud_admin_writes_users_read(
    client: httpx.AsyncClient,
) -> None:
    created = await policy(
        client,
        "no-critical",
        {"minSeverity": "CRITICAL", "advisories": ["CVE-2021-44228"]},
        blockDownload=True,
        blockPromotion=True,
    )
    assert created["rules"] == {"minSeverity": "CRITICAL", "advisories": ["CVE-2021-44228"]}
    assert created["actions"] == {"blockDownload": True, "blockPromotion": True, "notify": False}
    assert created["createdBy"] == "admin"
    await watch(client, "prod", ["prod", "team-*"], "no-critical")
    await create_user(client, "dev1", "password-of-dev1")
    user = basic("dev1", "password-of-dev1")

    shown = await client.get("/api/v1/policies/no-critical", headers=user)
    assert shown.status_code == 200 and shown.json() == created
    watches = await client.get("/api/v1/watches", headers=user)
    [listed] = watches.json()["items"]
    assert listed["repositories"] == ["prod", "team-*"] and listed["policies"] == ["no-critical"]
    refused = await client.post(
        "/api/v1/policies",
        json={"name": "x", "rules": {"blockIncomplete": True}, "actions": {"notify": True}},
        headers=user,
    )
    assert refused.status_code == 403
    assert (await client.get("/api/v1/policies")).status_code == 401
    assert (await client.get("/api/v1/policies/exceptions", headers=user)).status_code == 403

    in_use = await client.delete("/api/v1/policies/no-critical", headers=AUTH)
    assert in_use.status_code == 409
    assert in_use.json()["detail"] == (
        "policy 'no-critical' is applied by watch 'prod': remove it from the watch first"
    )
    changed = await client.patch(
        "/api/v1/policies/no-critical", json={"actions": {"notify": True}}, headers=AUTH
    )
    assert changed.json()["actions"] == {
        "blockDownload": False,
        "blockPromotion": False,
        "notify": True,
    }
    assert (await client.delete("/api/v1/watches/prod", headers=AUTH)).status_code == 204
    assert (await client.delete("/api/v1/policies/no-critical", headers=AUTH)).status_code == 204
    assert (await client.get("/api/v1/policies/no-critical", headers=AUTH)).status_code == 404
    actions = [a for a, _, _ in await audit_actions(client)]
    for action in ("policy.create", "watch.create", "policy.update", "watch.delete"):
        assert action in actions


async def test_each_change_of_policies_watches_and_exceptions_is_recorded_once(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    digest = await scanned(client, registry, "dev/team/app", clean())
    await create_user(client, "dev1", "password-of-dev1")
    user = basic("dev1", "password-of-dev1")
    rules = {"minSeverity": "CRITICAL"}
    await policy(client, "no-critical", rules, notify=True)
    await watch(client, "prod", ["prod"], "no-critical")
    granted = await create(
        client,
        "policies/exceptions",
        {"digest": digest, "advisory": HIGH, "reason": "not reachable", "expiresIn": 60},
    )
    exception = f"policies/exceptions/{granted['id']}"
    before = [
        (await client.get(f"/api/v1/{path}", headers=AUTH)).json()
        for path in ("policies/no-critical", "watches/prod", exception)
    ]
    # Refused before the body is read: a user gets the 403, not the 400 of a bad body.
    refusals = [
        ("POST", "policies", {"name": "p", "rules": "none"}),
        ("PATCH", "policies/no-critical", {"actions": {"blockDownload": True}}),
        ("DELETE", "policies/no-critical", None),
        ("POST", "watches", {"name": "w", "bogus": 1}),
        ("PATCH", "watches/prod", {"repositories": ["*"]}),
        ("DELETE", "watches/prod", None),
        ("POST", "policies/exceptions", {"digest": "not a digest"}),
        ("DELETE", exception, None),
    ]
    for method, path, body in refusals:
        response = await client.request(method, f"/api/v1/{path}", json=body, headers=user)
        assert response.status_code == 403, (method, path)
    after = [
        (await client.get(f"/api/v1/{path}", headers=AUTH)).json()
        for path in ("policies/no-critical", "watches/prod", exception)
    ]
    assert after == before

    changes = [
        ("PATCH", "policies/no-critical", {"description": "critical only"}, 200),
        ("PATCH", "watches/prod", {"repositories": ["prod", "release-*"]}, 200),
        ("DELETE", "watches/prod", None, 204),
        ("DELETE", "policies/no-critical", None, 204),
        ("DELETE", exception, None, 204),
    ]
    for method, path, body, status in changes:
        response = await client.request(method, f"/api/v1/{path}", json=body, headers=AUTH)
        assert response.status_code == status, response.text

    log = (await client.get("/api/v1/audit", params={"limit": 100}, headers=AUTH)).json()
    seen = [
        (e["action"], e["principal"], e["target"], e["status"])
        for e in reversed(log["items"])
        if e["action"].split(".")[0] in ("policy", "watch", "policy-exception")
    ]
    assert seen == [
        ("policy.create", "admin", "policies/no-critical", 201),
        ("watch.create", "admin", "watches/prod", 201),
        ("policy-exception.grant", "admin", exception, 201),
        ("policy.create", "dev1", "policies", 403),
        ("policy.update", "dev1", "policies/no-critical", 403),
        ("policy.delete", "dev1", "policies/no-critical", 403),
        ("watch.create", "dev1", "watches", 403),
        ("watch.update", "dev1", "watches/prod", 403),
        ("watch.delete", "dev1", "watches/prod", 403),
        ("policy-exception.grant", "dev1", "policies/exceptions", 403),
        ("policy-exception.revoke", "dev1", exception, 403),
        ("policy.update", "admin", "policies/no-critical", 200),
        ("watch.update", "admin", "watches/prod", 200),
        ("watch.delete", "admin", "watches/prod", 204),
        ("policy.delete", "admin", "policies/no-critical", 204),
        ("policy-exception.revoke", "admin", exception, 204),
    ]


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        (
            "policies",
            {"name": "p", "rules": {}, "actions": {"notify": True}},
            "a policy needs at least one rule: minSeverity, advisories, licenses, "
            "maxUnscannedSeconds or blockIncomplete",
        ),
        (
            "policies",
            {"name": "p", "rules": {"minSeverity": "SEVERE"}, "actions": {"notify": True}},
            "rules.minSeverity must be one of: LOW, MEDIUM, HIGH, CRITICAL",
        ),
        (
            "policies",
            {"name": "p", "rules": {"blockIncomplete": True}, "actions": {}},
            "a policy needs at least one action: blockDownload, blockPromotion or notify",
        ),
        (
            "policies",
            {"name": "p", "rules": {"maxAge": 3}, "actions": {"notify": True}},
            "unknown field rules.maxAge; allowed: minSeverity, advisories, licenses, "
            "maxUnscannedSeconds, blockIncomplete",
        ),
        (
            "watches",
            {"name": "w", "repositories": ["prod"], "policies": ["missing"]},
            "policy 'missing' does not exist; create it first (POST /api/v1/policies)",
        ),
    ],
)
async def test_invalid_policies_and_watches_are_refused_saying_why(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], detail: str
) -> None:
    response = await client.post(f"/api/v1/{path}", json=body, headers=AUTH)
    assert response.status_code in (400, 404)
    assert response.json()["detail"] == detail


async def test_an_exception_must_be_time_limited_with_a_reason(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    digest = await scanned(client, registry, "dev/team/app", clean())
    base = {"digest": digest, "advisory": HIGH, "reason": "why not"}
    cases = [
        ({**base}, 400, "an exception is time-limited"),
        ({**base, "expiresIn": 91 * 86400}, 400, "an exception may last at most 90 days"),
        ({**base, "expires": "2001-01-01T00:00:00Z"}, 400, "the exception would expire"),
        ({**base, "expiresIn": 60, "reason": " "}, 400, "'reason' is required"),
        ({**base, "expiresIn": 60, "digest": "sha256:" + "0" * 64}, 404, "no image or file"),
    ]
    for body, status, start in cases:
        response = await client.post("/api/v1/policies/exceptions", json=body, headers=AUTH)
        assert response.status_code == status, body
        assert response.json()["detail"].startswith(start), response.json()
