"""npm repositories seen through a virtual one, and guarded by policies: the merged
packument of the members with tarball URLs under the virtual repository, each tarball from
the member that holds its version, the dependency-confusion guard, publishes to the default
deploy repository; a tarball blocked by a policy names the policy and the advisory; ``npm
audit``'s bulk advisory endpoint answered from the advisory database."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

from cargohold.registry.registry import Registry
from tests.integration.audit import audited
from tests.integration.conftest import AUTH
from tests.integration.test_npm import create_npm, error, publish
from tests.npm_packages import tarball
from tests.unit import cataloger_fixtures as fx

pytestmark = pytest.mark.anyio
VIRTUAL = "/npm/npm-all"
LODASH = "GHSA-p6mc-m468-83gw"  # prototype pollution in zipObjectDeep, fixed in 4.17.19
LODASH_OSV: dict[str, Any] = {
    "schema_version": "1.6.0",
    "id": LODASH,
    "modified": "2024-02-01T00:00:00Z",
    "aliases": ["CVE-2020-8203"],
    "summary": "Prototype Pollution in lodash",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "lodash", "purl": "pkg:npm/lodash"},
            "ranges": [
                {"type": "SEMVER", "events": [{"introduced": "3.7.0"}, {"fixed": "4.17.19"}]}
            ],
        }
    ],
    "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2020-8203"}],
    "database_specific": {"cwe_ids": ["CWE-1321"], "severity": "HIGH"},
}


@pytest.fixture
async def npm(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await create_npm(client, "npm-local")
    await create_npm(client, "npm-team")
    await create_npm(
        client,
        "npm-all",
        kind="virtual",
        members=["npm-local", "npm-team"],
        defaultDeployRepo="npm-local",
    )
    return client


async def test_a_virtual_repository_merges_its_members(npm: httpx.AsyncClient) -> None:
    one = tarball("shared-lib", "1.0.0", {"a": b"local"})
    two = tarball("team-lib", "2.0.0", {"a": b"team"})
    assert (await publish(npm, "shared-lib", "1.0.0", one)).status_code == 201
    assert (await publish(npm, "team-lib", "2.0.0", two, repo="/npm/npm-team")).status_code == 201
    assert (
        await publish(npm, "team-lib", "2.1.0", repo="/npm/npm-team", tag="next")
    ).status_code == 201

    doc = (await npm.get(f"{VIRTUAL}/team-lib", headers=AUTH)).json()
    assert doc["dist-tags"] == {"latest": "2.0.0", "next": "2.1.0"}
    url = doc["versions"]["2.0.0"]["dist"]["tarball"]
    assert url == "http://registry/npm/npm-all/team-lib/-/team-lib-2.0.0.tgz"
    assert (await npm.get(url, headers=AUTH)).content == two
    shared = await npm.get(f"{VIRTUAL}/shared-lib/-/shared-lib-1.0.0.tgz", headers=AUTH)
    assert shared.content == one
    assert error(await npm.get(f"{VIRTUAL}/team-lib/-/team-lib-9.0.0.tgz", headers=AUTH), 404)
    assert error(await npm.get(f"{VIRTUAL}/nowhere", headers=AUTH), 404)


async def test_publishes_to_a_virtual_repository_go_to_its_default_deploy_repository(
    npm: httpx.AsyncClient,
) -> None:
    assert (await publish(npm, "via-virtual", "1.0.0", repo=VIRTUAL)).status_code == 201
    local = (await npm.get("/npm/npm-local/via-virtual", headers=AUTH)).json()
    assert list(local["versions"]) == ["1.0.0"]
    tags = await npm.put(
        f"{VIRTUAL}/-/package/via-virtual/dist-tags/stable", content=b'"1.0.0"', headers=AUTH
    )
    assert tags.status_code == 201, tags.text
    listed = await npm.get("/npm/npm-local/-/package/via-virtual/dist-tags", headers=AUTH)
    assert listed.json() == {"latest": "1.0.0", "stable": "1.0.0"}


async def test_local_members_holding_a_name_are_merged_the_first_ones_tags_winning(
    npm: httpx.AsyncClient,
) -> None:
    assert (await publish(npm, "internal-auth", "1.0.0")).status_code == 201
    assert (await publish(npm, "internal-auth", "9.9.9", repo="/npm/npm-team")).status_code == 201
    doc = (await npm.get(f"{VIRTUAL}/internal-auth", headers=AUTH)).json()
    assert sorted(doc["versions"]) == ["1.0.0", "9.9.9"]
    assert doc["dist-tags"]["latest"] == "1.0.0"  # the first member's tag wins


async def test_a_tarball_blocked_by_a_policy_names_the_policy_and_the_advisory(
    npm: httpx.AsyncClient, registry: Registry
) -> None:
    imported = await npm.post(
        "/api/v1/vulndb/import", content=json.dumps([LODASH_OSV]), headers=AUTH
    )
    assert imported.status_code == 200, imported.text
    data = fx.fixture("npm/lodash-4.17.15.tgz").read_bytes()
    assert (await publish(npm, "lodash", "4.17.15", data)).status_code == 201
    [stored] = await registry.packages.files("npm-local", "lodash", "4.17.15")
    await registry.scans.run(stored.file.digest)
    for path, body in (
        (
            "policies",
            {
                "name": "no-high",
                "rules": {"minSeverity": "HIGH"},
                "actions": {"blockDownload": True},
            },
        ),
        ("watches", {"name": "npm-gate", "repositories": ["npm-local"], "policies": ["no-high"]}),
    ):
        created = await npm.post(f"/api/v1/{path}", json=body, headers=AUTH)
        assert created.status_code == 201, created.text

    for repo in ("npm-local", "npm-all"):
        blocked = await npm.get(f"/npm/{repo}/lodash/-/lodash-4.17.15.tgz", headers=AUTH)
        message = error(blocked, 403)
        assert message.startswith(
            f'blocked by policy "no-high" (watch "npm-gate"): {LODASH} (HIGH)'
        )
        assert "lodash 4.17.15" in message
    entries = await audited(npm, "download.blocked")
    assert [e[2] for e in entries] == [
        "npm-local/lodash/lodash-4.17.15.tgz",
        "npm-all/lodash/lodash-4.17.15.tgz",
    ]


async def test_npm_audit_is_answered_from_the_advisory_database(npm: httpx.AsyncClient) -> None:
    imported = await npm.post(
        "/api/v1/vulndb/import", content=json.dumps([LODASH_OSV]), headers=AUTH
    )
    assert imported.status_code == 200, imported.text
    wanted = {"lodash": ["4.17.15", "4.17.21"], "left-pad": ["1.3.0"]}
    bulk = "/npm/npm-all/-/npm/v1/security/advisories/bulk"
    response = await npm.post(
        bulk,
        content=gzip.compress(json.dumps(wanted).encode()),
        headers={**AUTH, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "lodash": [
            {
                "id": LODASH,
                "url": "https://nvd.nist.gov/vuln/detail/CVE-2020-8203",
                "title": "Prototype Pollution in lodash",
                "severity": "high",
                "vulnerable_versions": ">=3.7.0 <4.17.19",
                "cwe": ["CWE-1321"],
                "cvss": {
                    "score": 7.4,
                    "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H",
                },
            }
        ]
    }
    fixed = await npm.post(bulk, json={"lodash": ["4.17.21"]}, headers=AUTH)
    assert fixed.json() == {}
    bomb = gzip.compress(b"[" * (80 * 1024 * 1024))
    refused = await npm.post(bulk, content=bomb, headers={**AUTH, "Content-Encoding": "gzip"})
    assert "inflates past" in error(refused, 413)
    assert error(await npm.post(bulk, content=b"[]", headers=AUTH), 400)
    assert error(await npm.post(bulk, json={"lodash": ["1"]}), 401)
    quick = await npm.post("/npm/npm-all/-/npm/v1/security/audits/quick", json={}, headers=AUTH)
    assert quick.status_code == 404


async def test_npm_search_finds_names_in_the_members(npm: httpx.AsyncClient) -> None:
    assert (
        await publish(npm, "@acme/log-format", "1.0.0", extra={"description": "logs"})
    ).status_code == 201
    assert (await publish(npm, "log-shipper", "2.0.0", repo="/npm/npm-team")).status_code == 201
    assert (await publish(npm, "unrelated", "1.0.0", repo="/npm/npm-team")).status_code == 201
    found = await npm.get(
        f"{VIRTUAL}/-/v1/search", params={"text": "log", "size": "20"}, headers=AUTH
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["total"] == 2
    shown = [
        (o["package"]["name"], o["package"]["version"], o["package"]["scope"])
        for o in body["objects"]
    ]
    assert shown == [("@acme/log-format", "1.0.0", "acme"), ("log-shipper", "2.0.0", "unscoped")]
    assert body["objects"][0]["package"]["description"] == "logs"
    page = await npm.get(
        f"{VIRTUAL}/-/v1/search", params={"text": "log", "size": "1", "from": "1"}, headers=AUTH
    )
    assert [o["package"]["name"] for o in page.json()["objects"]] == ["log-shipper"]
    assert error(await npm.get(f"{VIRTUAL}/-/v1/search", params={"text": "log"}), 401)
