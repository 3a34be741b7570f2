"""Importing OSV advisories: a zip as OSV.dev exports it, incremental and idempotent, with
malformed records reported and skipped, admin only, and advisories read back."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cargohold.meta.store import open_metadata_store
from cargohold.settings import Settings
from tests.integration.accounts import basic, create_user
from tests.integration.conftest import AUTH

pytestmark = pytest.mark.anyio

LOG4J: dict[str, Any] = {
    "schema_version": "1.6.0",
    "id": "GHSA-jfh8-c2jp-5v3q",
    "modified": "2024-03-21T17:24:12Z",
    "published": "2021-12-10T00:40:56Z",
    "aliases": ["CVE-2021-44228"],
    "summary": "Remote code injection in Log4j",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {
                "ecosystem": "Maven",
                "name": "org.apache.logging.log4j:log4j-core",
                "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
            },
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}],
                }
            ],
        }
    ],
    "database_specific": {"severity": "CRITICAL"},
}
DEBIAN: dict[str, Any] = {
    "id": "DSA-5022-1",
    "modified": "2023-08-01T10:00:00Z",
    "published": "2021-12-15T00:00:00Z",
    "aliases": ["CVE-2021-45046"],
    "summary": "apache-log4j2 - security update",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "apache-log4j2"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.16.0-1"}]}
            ],
        }
    ],
}
# A range without an 'introduced' event: not an OSV record.
MALFORMED: dict[str, Any] = {
    "id": "GHSA-bad0-bad0-bad0",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "broken"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}],
        }
    ],
}


def export(*records: dict[str, Any]) -> bytes:
    """A zip in the format of OSV.dev's all.zip: one <ID>.json per record."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return buffer.getvalue()


async def post(client: httpx.AsyncClient, body: bytes, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/vulndb/import", content=body, headers=AUTH | headers)


async def test_import_is_incremental_and_idempotent(client: httpx.AsyncClient) -> None:
    data = export(LOG4J, DEBIAN, MALFORMED)

    first = await post(client, data, **{"Content-Type": "application/zip"})
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["added"], report["updated"], report["unchanged"]) == (2, 0, 0)
    assert report["problems"] == [
        "GHSA-bad0-bad0-bad0.json (GHSA-bad0-bad0-bad0): "
        "affected[0].ranges[0].events: no 'introduced' event"
    ]

    again = (await post(client, data)).json()
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)

    newer = LOG4J | {"modified": "2025-01-01T00:00:00Z", "summary": "Log4Shell"}
    changed = (await post(client, export(newer, DEBIAN))).json()
    assert changed == {"added": 0, "updated": 1, "unchanged": 1, "problems": []}

    older = LOG4J | {"modified": "2020-01-01T00:00:00Z", "summary": "stale"}
    stale = (await post(client, json.dumps([older]).encode())).json()
    assert (stale["added"], stale["updated"], stale["unchanged"]) == (0, 0, 1)

    shown = await client.get("/api/v1/vulndb/advisories/GHSA-jfh8-c2jp-5v3q", headers=AUTH)
    assert shown.status_code == 200
    assert shown.json() == newer | {"severity": "CRITICAL"}
    stats = await client.get("/api/v1/vulndb", headers=AUTH)
    assert stats.json() == {"count": 2}


async def test_packages_are_indexed_without_release_and_normalized(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    pypi = {
        "id": "PYSEC-2099-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar.baz"}, "versions": ["1"]}],
    }
    response = await post(client, json.dumps([LOG4J, DEBIAN, pypi]).encode())
    assert response.json()["added"] == 3

    # The index matching will query: ecosystems without their release, PyPI names normalized.
    meta = open_metadata_store(settings.database, run_migrations=False)
    try:
        assert meta.advisories.count() == 3
        keys = [("Debian", "apache-log4j2"), ("PyPI", "foo-bar-baz"), ("npm", "none")]
        found = meta.advisories.for_packages(keys)
    finally:
        meta.close()
    assert [r.id for r in found] == ["DSA-5022-1", "PYSEC-2099-1"]
    assert found[0].packages == (("Debian", "apache-log4j2"),)
    assert found[0].aliases == ("CVE-2021-45046",)
    assert found[1].packages == (("PyPI", "foo-bar-baz"),)


async def test_only_admins_import(client: httpx.AsyncClient) -> None:
    await create_user(client, "reader", "reader-password")
    reader = basic("reader", "reader-password")
    refused = await client.post("/api/v1/vulndb/import", content=export(LOG4J), headers=reader)
    assert refused.status_code == 403
    anonymous = await client.post("/api/v1/vulndb/import", content=export(LOG4J))
    assert anonymous.status_code == 401

    await post(client, export(LOG4J))
    shown = await client.get("/api/v1/vulndb/advisories/GHSA-jfh8-c2jp-5v3q", headers=reader)
    assert shown.status_code == 200
    assert shown.json()["aliases"] == ["CVE-2021-44228"]


@pytest.mark.parametrize(
    "body",
    [b"\x00\x01garbage", b"PK\x03\x04 not really a zip", b"42", b""],
    ids=["bytes", "broken-zip", "number", "empty"],
)
async def test_garbage_is_a_400_problem(client: httpx.AsyncClient, body: bytes) -> None:
    response = await post(client, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "BAD_REQUEST"


async def test_unknown_advisory_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/vulndb/advisories/GHSA-none", headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_each_import_is_recorded_once_and_a_refused_one_imports_nothing(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "reader", "reader-password")
    assert (await post(client, export(LOG4J))).status_code == 200
    assert (await post(client, export(LOG4J))).status_code == 200  # nothing new: still an import
    refused = await client.post(
        "/api/v1/vulndb/import",
        content=export(DEBIAN),
        headers=basic("reader", "reader-password"),
    )
    assert refused.status_code == 403
    stats = await client.get("/api/v1/vulndb", headers=AUTH)
    assert stats.json()["count"] == 1

    audit = await client.get("/api/v1/audit", params={"action": "vulndb.import"}, headers=AUTH)
    seen = [
        (e["principal"], e["target"], e["status"], e["repository"])
        for e in reversed(audit.json()["items"])
    ]
    assert seen == [
        ("admin", "vulndb/import", 200, None),
        ("admin", "vulndb/import", 200, None),
        ("reader", "vulndb/import", 403, None),
    ]


async def test_a_refused_import_is_not_read(client: httpx.AsyncClient) -> None:
    """Who may import is settled before a byte of the (up to 512 MiB) body is read."""
    await create_user(client, "reader", "reader-password")
    sent: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        for chunk in (b"[", b"]"):
            sent.append(chunk)
            yield chunk

    refused = await client.post(
        "/api/v1/vulndb/import", content=body(), headers=basic("reader", "reader-password")
    )
    assert refused.status_code == 403
    assert sent == []


async def test_a_declared_size_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/vulndb/import",
        content=b"[]",
        headers=AUTH | {"Content-Length": str(512 * 1024 * 1024 + 1)},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
