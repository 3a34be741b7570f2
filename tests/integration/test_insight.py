"""Insight end to end over the REST API: a push queues a scan; the scan finds real packages
through nested archives and whiteouts; the SBOM, components and vulnerabilities read back;
an advisory import re-matches stored inventories (no blob read) and reports the artifacts
that became affected; where-used answers by purl and range, or by advisory alias."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cargohold.analysis import layered
from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.jobs.runner import Handlers, JobRunner
from cargohold.jobs.scans import RematchJob
from cargohold.registry.insight.scans import REMATCH_JOB, SCAN_JOB
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.images import make_image, sha256, write_oci_layout
from tests.integration.accounts import basic, create_user
from tests.integration.audit import audited
from tests.integration.conftest import AUTH, Clock
from tests.integration.generic import blob_files, create_generic, deploy
from tests.integration.oci import push_image
from tests.unit import cataloger_fixtures as fx

pytestmark = pytest.mark.anyio

LOG4J = "org.apache.logging.log4j:log4j-jcl"
# A made-up advisory for the version Debian 12 ships (2.19.0), with a CVE alias.
LOG4J_LATER: dict[str, Any] = {
    "id": "GHSA-test-0000-0000",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2099-0001"],
    "summary": "A test advisory on log4j-jcl",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "Maven", "name": LOG4J},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.17.0"}, {"fixed": "2.20.0"}]}
            ],
        }
    ],
}
# A version trap: as strings "2.19.0" > "2.100.0", as versions it is not.
LOG4J_STRING_TRAP: dict[str, Any] = {
    "id": "GHSA-test-0000-0001",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "Maven", "name": LOG4J},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.100.0"}, {"fixed": "2.101.0"}]}
            ],
        }
    ],
}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def app_image() -> Any:
    """Debian's zlib1g in the dpkg database, log4j-jcl two archives deep in a war, and a
    second log4j jar that the top layer deletes with a whiteout."""
    jar = fx.fixture(fx.LOG4J_JCL).read_bytes()
    library = _zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n", "lib/log4j-jcl.jar": jar})
    war = _zip({"WEB-INF/lib/app-lib.jar": library, "index.html": b"<html></html>"})
    status = (fx.deb_control(fx.ZLIB1G) + "Status: install ok installed\n").encode()
    base = {"var/lib/dpkg/status": status, "opt/app/web.war": war, "opt/old/log4j-jcl.jar": jar}
    return make_image([base, {"opt/old/.wh.log4j-jcl.jar": b""}], label="insight")


async def get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await client.get(f"/api/v1{path}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def import_advisories(client: httpx.AsyncClient, *records: dict[str, Any]) -> None:
    response = await client.post(
        "/api/v1/vulndb/import", content=json.dumps(list(records)).encode(), headers=AUTH
    )
    assert response.status_code == 200, response.text


async def run_rematch_jobs(client: httpx.AsyncClient, registry: Registry) -> list[dict[str, Any]]:
    """Run the queued re-match jobs with a worker's job runner; their results."""
    queued = await registry.jobs.list("queued", REMATCH_JOB, None, 10)

    @asynccontextmanager
    async def handlers() -> AsyncIterator[Handlers]:
        yield {REMATCH_JOB: RematchJob(registry.scans)}

    async with JobRunner(registry.jobs, handlers, poll_interval=0.05) as worker:
        await worker.drain()
    done = [await registry.jobs.get(job.id) for job in queued]
    assert all(job.state == "done" for job in done), done
    return [job.result or {} for job in done]


async def test_push_scan_sbom_vulnerabilities_and_rematch(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    image = app_image()
    digest = await push_image(client, "dev/team/app", "1.0", image)

    # The push queued a scan job; until it runs, the artifact is pending.
    jobs = await get(client, "/jobs", kind=SCAN_JOB)
    assert [j["payload"]["digest"] for j in jobs["items"]] == [digest]
    assert (await get(client, f"/artifacts/{digest}/scan"))["status"] == "pending"
    sbom = await client.get(f"/api/v1/artifacts/{digest}/sbom", headers=AUTH)
    assert sbom.status_code == 404
    assert "pending" in sbom.json()["detail"]

    outcome = await registry.scans.run(digest)
    assert outcome.status == "done"

    scan = await get(client, "/scan", image="dev/team/app:1.0")
    assert (scan["digest"], scan["status"], scan["reasons"]) == (digest, "done", [])
    layer = sha256(image.layers[0])
    components = await get(client, f"/artifacts/{digest}/components")
    assert sorted((c["name"], c["version"], c["evidence"]) for c in components["items"]) == [
        (LOG4J, "2.19.0", f"{layer}!/opt/app/web.war!/WEB-INF/lib/app-lib.jar!/lib/log4j-jcl.jar"),
        ("zlib1g", "1:1.2.13.dfsg-1", f"{layer}!/var/lib/dpkg/status"),
    ]
    # The jar says it was named by its pom.properties; dpkg, with one rule, says nothing.
    assert sorted((c["name"], c.get("identity")) for c in components["items"]) == [
        (LOG4J, "pom.properties"),
        ("zlib1g", None),
    ]
    # The all-layers view also shows the jar a later layer deleted.
    every = await get(client, f"/artifacts/{digest}/components", layers="all")
    hidden = [c["evidence"] for c in every["items"] if not c["visible"]]
    assert hidden == [f"{layer}!/opt/old/log4j-jcl.jar"]

    cyclonedx = await client.get(f"/api/v1/artifacts/{digest}/sbom", headers=AUTH)
    assert cyclonedx.headers["content-type"].startswith("application/vnd.cyclonedx+json")
    doc = cyclonedx.json()
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"
    assert sorted(c["purl"] for c in doc["components"]) == [
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib",
        "pkg:maven/org.apache.logging.log4j/log4j-jcl@2.19.0",
    ]
    spdx = await get(client, f"/artifacts/{digest}/sbom", format="spdx")
    assert spdx["spdxVersion"] == "SPDX-2.3"
    assert {p["name"] for p in spdx["packages"]} >= {"zlib1g", LOG4J}

    # No advisories yet: a clean result.
    report = await get(client, f"/artifacts/{digest}/vulnerabilities")
    assert (report["status"], report["findings"]) == ("done", [])

    # A webhook on "vulnerable" events, to see the import report the newly affected image.
    hook = await client.post(
        "/api/v1/webhooks",
        json={
            "name": "sec",
            "url": "http://127.0.0.1:9/",
            "secret": "a-webhook-secret-of-some-length",
            "events": ["vulnerable"],
        },
        headers=AUTH,
    )
    assert hook.status_code == 201, hook.text

    await import_advisories(client, LOG4J_LATER, LOG4J_STRING_TRAP)
    results = await run_rematch_jobs(client, registry)
    assert results == [{"newlyAffected": 1, "digests": [digest]}]

    report = await get(client, f"/artifacts/{digest}/vulnerabilities")
    assert report["status"] == "done"
    assert [
        (f["advisory"], f["aliases"], f["severity"], f["fixed_in"], f["component"], f["evidence"])
        for f in report["findings"]
    ] == [
        (
            "GHSA-test-0000-0000",
            ["CVE-2099-0001"],
            "CRITICAL",
            ["2.20.0"],
            {
                "name": LOG4J,
                "version": "2.19.0",
                "purl": "pkg:maven/org.apache.logging.log4j/log4j-jcl@2.19.0",
                "ecosystem": "Maven",
            },
            f"{layer}!/opt/app/web.war!/WEB-INF/lib/app-lib.jar!/lib/log4j-jcl.jar",
        )
    ]

    affected = await get(client, "/affected", since="2000-01-01T00:00:00Z")
    assert [
        (
            i["digest"],
            i["advisory"],
            [(w["repository"], w["path"], w["tags"]) for w in i["locations"]],
        )
        for i in affected["items"]
    ] == [(digest, "GHSA-test-0000-0000", [("dev", "team/app", ["1.0"])])]

    sent = await client.get(f"/api/v1/webhooks/{hook.json()['id']}/deliveries", headers=AUTH)
    assert [(d["type"], d["repository"], d["subject"]) for d in sent.json()["items"]] == [
        ("dev.cargohold.vulnerable", "dev", "team/app")
    ]

    # Importing the same advisories again changes nothing and re-matches nothing.
    await import_advisories(client, LOG4J_LATER)
    assert await run_rematch_jobs(client, registry) == []


async def test_where_used_by_purl_range_and_by_advisory_alias(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    digest = await push_image(client, "dev/team/app", "1.0", app_image())
    await registry.scans.run(digest)
    await import_advisories(client, LOG4J_LATER)
    await run_rematch_jobs(client, registry)
    purl = "pkg:maven/org.apache.logging.log4j/log4j-jcl"

    async def impact(**params: str) -> list[tuple[str, str]]:
        found = await get(client, "/impact", **params)
        return [(i["digest"], i["component"]["version"]) for i in found["items"]]

    assert await impact(purl=purl) == [(digest, "2.19.0")]
    assert await impact(purl=purl, range="<2.17.1") == []
    # 2.19.0 < 2.100: compared as versions, not strings.
    assert await impact(purl=purl, range=">=2.17.1,<2.100") == [(digest, "2.19.0")]
    assert await impact(purl=purl + "@2.19.0") == [(digest, "2.19.0")]
    assert await impact(advisory="CVE-2099-0001") == [(digest, "2.19.0")]
    assert await impact(advisory="GHSA-test-0000-0000") == [(digest, "2.19.0")]
    build = {
        "name": "app",
        "number": "42",
        "started": "2026-11-26T10:00:00Z",
        "url": "https://ci.example.com/app/42",
        "modules": [
            {
                "id": "app",
                "artifacts": [
                    {"type": "docker", "repository": "dev", "name": "team/app", "digest": digest}
                ],
            }
        ],
    }
    recorded = await client.put("/api/v1/builds", json=build, headers=AUTH)
    assert recorded.status_code == 201, recorded.text
    found = await get(client, "/impact", advisory="CVE-2099-0001")
    assert found["items"][0]["locations"] == [
        {
            "type": "build",
            "repository": "dev",
            "path": "app/42",
            "digest": digest,
            "artifact": "team/app",
        },
        {
            "type": "image",
            "repository": "dev",
            "path": "team/app",
            "digest": digest,
            "tags": ["1.0"],
        },
    ]

    # Pages in digest order: a second image with the same jar, one per page.
    other = await push_image(client, "dev/team/other", "2.0", app_image())
    await registry.scans.run(other)
    first = await get(client, "/impact", purl=purl, limit="1")
    second = await get(client, "/impact", purl=purl, limit="1", after=first["next"])
    assert [first["items"][0]["digest"], second["items"][0]["digest"]] == sorted([digest, other])
    assert second["next"] is None
    bad = await client.get(
        "/api/v1/impact", params={"purl": purl, "after": "bm90IGEgY3Vyc29y"}, headers=AUTH
    )
    assert bad.status_code == 400 and "cursor" in bad.json()["detail"]

    bad = await client.get("/api/v1/impact", params={"purl": "log4j"}, headers=AUTH)
    assert bad.status_code == 400 and "not a package URL" in bad.json()["detail"]
    bad = await client.get("/api/v1/impact", params={"purl": purl, "range": "~~2"}, headers=AUTH)
    assert bad.status_code == 400 and "range" in bad.json()["detail"]
    unknown = await client.get("/api/v1/impact", params={"advisory": "CVE-1-1"}, headers=AUTH)
    assert unknown.status_code == 404


async def test_where_used_lists_only_what_the_caller_may_read(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    digest = await push_image(client, "staging/team/app", "1.0", app_image())
    await registry.scans.run(digest)
    await create_user(client, "reader", "reader-password-1")
    purl = "pkg:maven/org.apache.logging.log4j/log4j-jcl"
    response = await client.get(
        "/api/v1/impact", params={"purl": purl}, headers=basic("reader", "reader-password-1")
    )
    assert response.status_code == 200 and response.json()["items"] == []
    report = await client.get(
        f"/api/v1/artifacts/{digest}/vulnerabilities", headers=basic("reader", "reader-password-1")
    )
    assert report.status_code == 404


async def test_a_layer_shared_by_two_images_is_indexed_once(
    client: httpx.AsyncClient, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = app_image()
    second = make_image([{"etc/motd": b"hello"}], label="other")
    second.layers.insert(0, first.layers[0])
    second.diff_ids.insert(0, first.diff_ids[0])
    second.__post_init__()
    one = await push_image(client, "dev/team/one", "1", first)
    two = await push_image(client, "dev/team/two", "1", second)
    await registry.scans.run(one)

    indexed: list[str] = []
    original = layered.index_layer

    def counting(layer: Any, *args: Any) -> Any:
        indexed.append(layer.digest)
        return original(layer, *args)

    monkeypatch.setattr("cargohold.registry.insight.indexing.index_layer", counting)
    await registry.scans.run(two)
    assert indexed == [sha256(second.layers[1])]  # the shared base layer came from the cache
    components = await get(client, f"/artifacts/{two}/components")
    # Without the first image's top layer, its second log4j jar is visible here.
    assert sorted(c["name"] for c in components["items"]) == [LOG4J, LOG4J, "zlib1g"]


async def test_scan_requests_and_bad_input(client: httpx.AsyncClient, registry: Registry) -> None:
    digest = await push_image(client, "dev/team/app", "1.0", make_image([{"a": b"1"}]))
    response = await client.post("/api/v1/scan", json={"image": "dev/team/app:1.0"}, headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json()["digest"] == digest
    assert response.json()["queued"] is False  # the push queued it already
    forced = await client.post("/api/v1/scan", json={"digest": digest, "force": True}, headers=AUTH)
    assert forced.status_code == 202 and forced.json()["queued"] is True
    await registry.scans.run(digest)
    assert (await get(client, f"/artifacts/{digest}/scan"))["status"] == "done"

    for body, status in [
        ({"image": "dev/team/app:nope"}, 404),
        ({"image": "dev/team/app:1.0", "file": "x/y"}, 400),
        ({}, 400),
        ({"digest": "sha256:zz"}, 400),
        ({"image": "dev/team/app", "other": 1}, 400),
    ]:
        response = await client.post("/api/v1/scan", json=body, headers=AUTH)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    bad = await client.get(f"/api/v1/artifacts/{digest}/sbom", params={"format": "x"}, headers=AUTH)
    assert bad.status_code == 400 and "cyclonedx" in bad.json()["detail"]
    missing = await client.get(f"/api/v1/artifacts/sha256:{'0' * 64}/scan", headers=AUTH)
    assert missing.status_code == 404
    # Who may not read an image may not have it scanned either.
    await push_image(client, "staging/team/app", "1.0", make_image([{"a": b"1"}]))
    await create_user(client, "reader", "reader-password-1")
    reader = basic("reader", "reader-password-1")
    jobs = await registry.jobs.list(None, SCAN_JOB, None, 100)
    denied = await client.post(
        "/api/v1/scan", json={"image": "staging/team/app:1.0", "force": True}, headers=reader
    )
    assert denied.status_code == 403
    assert await registry.jobs.list(None, SCAN_JOB, None, 100) == jobs
    assert await audited(client, "scan.request") == [
        ("scan.request", "admin", "scan", 202),
        ("scan.request", "admin", "scan", 202),
        ("scan.request", "admin", "scan", 404),
        *[("scan.request", "admin", "scan", 400)] * 4,
        ("scan.request", "reader", "scan", 403),
    ]


@pytest.mark.parametrize("layers", ["visible", "all"])
async def test_a_generic_file_is_cataloged_on_deploy(
    client: httpx.AsyncClient, registry: Registry, layers: str
) -> None:
    wheel = fx.fixture(fx.URLLIB3_WHEEL)
    await create_generic(client, "libs-local")
    await deploy(client, "libs-local", f"py/{wheel.name}", wheel.read_bytes())
    scan = await get(client, "/scan", file=f"libs-local/py/{wheel.name}")
    assert scan["status"] == "pending"
    await registry.scans.run(scan["digest"])
    components = await get(client, f"/artifacts/{scan['digest']}/components", layers=layers)
    assert [(c["name"], c["version"], c["purl"]) for c in components["items"]] == [
        ("urllib3", "1.26.5", "pkg:pypi/urllib3@1.26.5")
    ]
    # The wheel cataloger has one rule: nothing is said of which named it.
    assert "identity" not in components["items"][0]


async def test_the_rule_that_named_a_jar_is_kept_with_the_scan(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    """A jar without pom.properties is named by its SHA-1; the stored scan, the component
    list and the SBOMs the server serves all say so."""
    jar = fx.fixture(fx.COMMONS_LOGGING)
    await create_generic(client, "libs-local")
    await deploy(client, "libs-local", f"lib/{jar.name}", jar.read_bytes())
    scan = await get(client, "/scan", file=f"libs-local/lib/{jar.name}")
    await registry.scans.run(scan["digest"])
    path = f"/artifacts/{scan['digest']}"

    components = await get(client, f"{path}/components")
    assert [(c["name"], c["version"], c["identity"]) for c in components["items"]] == [
        ("commons-logging:commons-logging", "1.2", "sha1-table")
    ]
    cyclonedx = await get(client, f"{path}/sbom")
    assert [
        (c["purl"], {p["name"]: p["value"] for p in c["properties"]}["cargohold:identity"])
        for c in cyclonedx["components"]
    ] == [("pkg:maven/commons-logging/commons-logging@1.2", "sha1-table")]
    spdx = await get(client, f"{path}/sbom", format="spdx")
    packages = [p for p in spdx["packages"] if p["SPDXID"] != "SPDXRef-Artifact"]
    assert [(p["name"], p["sourceInfo"].splitlines()) for p in packages] == [
        (
            "commons-logging:commons-logging",
            [
                f"cargohold:evidence={scan['digest']}",
                "cargohold:cataloger=java",
                "cargohold:identity=sha1-table",
            ],
        )
    ]


async def test_a_scan_stored_without_the_rule_says_nothing_until_scanned_again(
    client: httpx.AsyncClient, registry: Registry, settings: Settings
) -> None:
    jar = fx.fixture(fx.COMMONS_LOGGING)
    await create_generic(client, "libs-local")
    await deploy(client, "libs-local", f"lib/{jar.name}", jar.read_bytes())
    digest = (await get(client, "/scan", file=f"libs-local/lib/{jar.name}"))["digest"]
    await registry.scans.run(digest)
    # As a scan stored by a version of cargohold that did not keep the rule: NULL.
    engine = sa.create_engine(settings.database)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE scan_components SET identity = NULL"))
    engine.dispose()
    path = f"/artifacts/{digest}"
    components = await get(client, f"{path}/components")
    assert [(c["name"], "identity" in c) for c in components["items"]] == [
        ("commons-logging:commons-logging", False)
    ]
    cyclonedx = await get(client, f"{path}/sbom")
    names = [p["name"] for c in cyclonedx["components"] for p in c["properties"]]
    assert "cargohold:evidence" in names and "cargohold:identity" not in names
    spdx = await client.get(f"/api/v1{path}/sbom", params={"format": "spdx"}, headers=AUTH)
    assert "cargohold:evidence" in spdx.text and "cargohold:identity" not in spdx.text

    forced = await client.post("/api/v1/scan", json={"digest": digest, "force": True}, headers=AUTH)
    assert forced.status_code == 202 and forced.json()["queued"] is True
    await registry.scans.run(digest)
    components = await get(client, f"{path}/components")
    assert [c.get("identity") for c in components["items"]] == ["sha1-table"]


async def test_an_oci_layout_tarball_deployed_as_a_file_is_analysed_as_an_image(
    client: httpx.AsyncClient, registry: Registry, tmp_path: Path
) -> None:
    image = app_image()
    layout = write_oci_layout(tmp_path / "layout", {"1.0": image})
    tarball = tmp_path / "app.oci.tar"
    with tarfile.open(tarball, "w") as tar:
        tar.add(layout, arcname=".")
    await create_generic(client, "images-local")
    deployed = await deploy(client, "images-local", "app.oci.tar", tarball.read_bytes())
    digest = deployed["checksums"]["sha256"]
    await registry.scans.run(f"sha256:{digest}")
    components = await get(client, f"/artifacts/sha256:{digest}/components")
    layer = sha256(image.layers[0])
    # What a container sees: the whiteout of the top layer applies here too.
    assert sorted((c["name"], c["evidence"]) for c in components["items"]) == [
        (
            LOG4J,
            f"sha256:{digest}!/{image.digest}!/{layer}!/opt/app/web.war"
            "!/WEB-INF/lib/app-lib.jar!/lib/log4j-jcl.jar",
        ),
        ("zlib1g", f"sha256:{digest}!/{image.digest}!/{layer}!/var/lib/dpkg/status"),
    ]


async def test_an_sbom_attached_as_a_referrer_is_listed_by_the_referrers_api(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    image = app_image()
    digest = await push_image(client, "dev/team/app", "1.0", image)
    await registry.scans.run(digest)
    response = await client.post(
        "/api/v1/sbom/attach", json={"image": "dev/team/app:1.0"}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    attached = response.json()
    assert (attached["subject"], attached["artifactType"]) == (
        digest,
        "application/vnd.cyclonedx+json",
    )
    listed = await client.get(f"/v2/dev/team/app/referrers/{digest}", headers=AUTH)
    assert [(m["digest"], m["artifactType"]) for m in listed.json()["manifests"]] == [
        (attached["digest"], "application/vnd.cyclonedx+json")
    ]
    manifest = await client.get(
        f"/v2/dev/team/app/manifests/{attached['digest']}",
        headers={**AUTH, "Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    layer = manifest.json()["layers"][0]
    blob = await client.get(f"/v2/dev/team/app/blobs/{layer['digest']}", headers=AUTH)
    assert blob.json()["bomFormat"] == "CycloneDX"
    assert {c["name"] for c in blob.json()["components"]} == {"zlib1g", LOG4J}

    await create_user(client, "reader", "reader-password-1")
    denied = await client.post(
        "/api/v1/sbom/attach",
        json={"image": "dev/team/app:1.0"},
        headers=basic("reader", "reader-password-1"),
    )
    assert denied.status_code == 403
    assert "may not write repository 'dev'" in denied.json()["detail"]
    listed = await client.get(f"/v2/dev/team/app/referrers/{digest}", headers=AUTH)
    assert len(listed.json()["manifests"]) == 1
    # The attach is recorded as itself, once; the referrer's push is not recorded apart.
    assert await audited(client, "sbom.attach", "manifest.push") == [
        ("manifest.push", "admin", "dev/team/app:1.0", 201),
        ("sbom.attach", "admin", "sbom/attach", 201),
        ("sbom.attach", "reader", "sbom/attach", 403),
    ]


async def test_a_limit_hit_makes_the_scan_incomplete_with_its_reason(
    settings: Settings, clock: Clock
) -> None:
    shallow = replace(settings, scan_max_depth=2)
    prepare(shallow)
    store, meta = open_stores(shallow, migrate=False)
    try:
        registry = build_registry(shallow, store, meta, clock)
        transport = httpx.ASGITransport(app=build_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            image = app_image()
            digest = await push_image(client, "dev/team/app", "1.0", image)
            await registry.scans.run(digest)
            report = await get(client, f"/artifacts/{digest}/vulnerabilities")
            await import_advisories(client, LOG4J_LATER)
            components = await get(client, f"/artifacts/{digest}/components")
    finally:
        meta.close()
    # The archives inside the jar three levels deep are past the limit.
    assert report["status"] == "incomplete"
    assert report["reasons"] == [
        f"depth limit 2 reached at {sha256(image.layers[0])}!/opt/app/web.war"
        "!/WEB-INF/lib/app-lib.jar!/lib/log4j-jcl.jar: not searched"
    ]
    # The jar itself is still cataloged (its pom.properties is read); what it might hold
    # inside was not searched, and the status says so instead of passing for clean.
    assert [c["name"] for c in components["items"]] == [LOG4J, "zlib1g"]


async def test_a_scan_that_cannot_read_its_blobs_fails_with_the_reason(
    client: httpx.AsyncClient, registry: Registry, settings: Settings
) -> None:
    image = make_image([{"etc/motd": b"hello"}], label="lost")
    digest = await push_image(client, "dev/team/lost", "1", image)
    layer = sha256(image.layers[0]).removeprefix("sha256:")
    [stored] = [p for p in blob_files(settings.blob_root) if p.name == layer]
    stored.unlink()

    outcome = await registry.scans.run(digest)
    assert outcome.status == "failed"
    scan = await get(client, f"/artifacts/{digest}/scan")
    assert scan["status"] == "failed"
    assert scan["reasons"] and layer in scan["reasons"][0]
    sbom = await client.get(f"/api/v1/artifacts/{digest}/sbom", headers=AUTH)
    assert sbom.status_code == 404 and "failed" in sbom.json()["detail"]


async def test_an_advisory_whose_versions_cannot_be_compared_makes_the_result_incomplete(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    digest = await push_image(client, "dev/team/app", "1.0", app_image())
    await registry.scans.run(digest)
    garbled = {
        "id": "DEBIAN-TEST-0001",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "zlib"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "!!"}]}],
            }
        ],
    }
    await import_advisories(client, garbled)
    await run_rematch_jobs(client, registry)
    report = await get(client, f"/artifacts/{digest}/vulnerabilities")
    assert report["findings"] == []
    assert report["status"] == "incomplete"
    assert [r.split(" could not")[0] for r in report["reasons"]] == [
        "DEBIAN-TEST-0001: zlib1g 1:1.2.13.dfsg-1"
    ]
