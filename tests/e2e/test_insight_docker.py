"""Insight on a real image, as a user gets it: a Debian 12 image with Python, npm, Java and Go
packages (tests/rootfs.py) loaded into dockerd and pushed with ``docker push``; the scan the
push queued lists exactly what Debian's, pip's, npm's, Maven's and Go's own tools say the
image holds; an OSV advisory imported afterwards is matched against the stored inventory."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cargohold.core.times import rfc3339
from tests.disk_images import write_docker_archive
from tests.rootfs import LEGACY, DebianImage, Expected, debian_image
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

pytestmark = pytest.mark.e2e

AUTH = (ADMIN_USER, ADMIN_PASSWORD)
IMAGE = "dev/insight/debian"
TAG = "12"
ACCEPT = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)
SCAN_TIMEOUT = 120.0
REMATCH_TIMEOUT = 60.0

# Shaped like the GitHub advisory GHSA-j8r2-6x86-q33q on requests (CVE-2023-32681): affected
# from 2.3.0, fixed in 2.31.0, so requests 2.25.0 is affected.
REQUESTS_ADVISORY = {
    "schema_version": "1.6.0",
    "id": "CARGOHOLD-E2E-2023-0001",
    "aliases": ["CVE-2023-32681"],
    "summary": "Unintended leak of Proxy-Authorization header in requests",
    "details": "Requests forwards proxy credentials to the destination server on redirects.",
    "modified": "2024-11-19T16:59:02Z",
    "published": "2023-05-22T20:36:32Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests", "purl": "pkg:pypi/requests"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}
            ],
        }
    ],
    "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2023-32681"}],
}
# Shaped like GHSA-q2q7-5pp4-w6pg (CVE-2021-33503): fixed in 1.26.5, the very version the
# image holds, so urllib3 must not be reported.
URLLIB3_FIXED_ADVISORY = {
    "schema_version": "1.6.0",
    "id": "CARGOHOLD-E2E-2021-0002",
    "aliases": ["CVE-2021-33503"],
    "summary": "Catastrophic backtracking in URL authority parser in urllib3",
    "modified": "2024-09-24T21:02:47Z",
    "published": "2021-06-01T21:11:39Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "urllib3", "purl": "pkg:pypi/urllib3"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.25.4"}, {"fixed": "1.26.5"}]}
            ],
        }
    ],
}


@dataclass(frozen=True)
class Pushed:
    debian: DebianImage
    digest: str  # of the manifest docker pushed
    layers: list[str]  # the layer digests docker pushed (it compresses them itself)


def get(server: CargoholdServer, path: str, **params: str) -> Any:
    response = httpx.get(f"{server.url}/api/v1{path}", params=params, auth=AUTH, timeout=30)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


def poll(what: str, timeout: float, probe: Any) -> Any:
    """``probe()`` until it returns something, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: nothing after {timeout:.0f} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def pushed(
    dockerd: Dockerd, server: CargoholdServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pushed]:
    debian = debian_image()
    login = dockerd.docker(
        "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
    )
    assert "Login Succeeded" in login.stdout
    archive = tmp_path_factory.mktemp("insight") / "debian.tar"
    write_docker_archive(archive, debian.image, "local/insight-debian:12")
    loaded = dockerd.docker("load", "--input", str(archive))
    assert "Loaded image: local/insight-debian:12" in loaded.stdout
    archive.unlink()
    remote = f"{server.host}/{IMAGE}:{TAG}"
    dockerd.docker("tag", "local/insight-debian:12", remote)
    dockerd.docker("push", remote)

    manifest = httpx.get(
        f"{server.url}/v2/{IMAGE}/manifests/{TAG}", headers={"Accept": ACCEPT}, auth=AUTH
    )
    assert manifest.status_code == 200
    layers = [layer["digest"] for layer in manifest.json()["layers"]]
    config = httpx.get(
        f"{server.url}/v2/{IMAGE}/blobs/{manifest.json()['config']['digest']}", auth=AUTH
    ).json()
    # docker compresses the layers anew, but their content is ours, layer for layer.
    assert config["rootfs"]["diff_ids"] == debian.image.diff_ids

    def scanned() -> dict[str, Any] | None:
        scan: dict[str, Any] = get(server, "/scan", image=f"{IMAGE}:{TAG}")
        return None if scan["status"] == "pending" else scan

    scan = poll("the scan docker push queued", SCAN_TIMEOUT, scanned)
    assert scan["status"] == "done", scan
    assert scan["digest"] == manifest.headers["docker-content-digest"]
    yield Pushed(debian, scan["digest"], layers)
    dockerd.docker("rmi", "local/insight-debian:12", remote, check=False)
    dockerd.docker("logout", server.host, check=False)


Row = tuple[str, str, str, str, bool]  # ecosystem, name, version, evidence, visible


def expected_rows(pushed: Pushed, ecosystem: str) -> list[Row]:
    items: list[Expected] = [e for e in pushed.debian.expected if e.ecosystem == ecosystem]
    return sorted(
        (e.ecosystem, e.name, e.version, e.evidence(pushed.layers), e.visible) for e in items
    )


def found_rows(items: list[dict[str, Any]], ecosystem: str) -> list[Row]:
    return sorted(
        (i["ecosystem"], i["name"], i["version"], i["evidence"], i["visible"])
        for i in items
        if i["ecosystem"] == ecosystem
    )


def test_the_scan_lists_exactly_what_each_ecosystems_own_tools_report(
    pushed: Pushed, server: CargoholdServer
) -> None:
    every = get(server, f"/artifacts/{pushed.digest}/components", layers="all")["items"]
    visible = get(server, f"/artifacts/{pushed.digest}/components")["items"]

    # Debian: every package dpkg-query lists as installed, nothing else, from the base layer.
    dpkg = expected_rows(pushed, "Debian")
    assert len(dpkg) > 80
    assert found_rows(every, "Debian") == dpkg
    assert {i["cataloger"] for i in every if i["ecosystem"] == "Debian"} == {"dpkg"}
    # Python (pip inspect), npm (package.json: lodash twice, 4.17.21 nested under async),
    # Maven (pom.properties: the war, the jars in it, the legacy jar a later layer deleted),
    # Go (go version -m: stdlib, the main module, the dependency replaced by ./dep).
    for ecosystem in ("PyPI", "npm", "Maven", "Go"):
        assert found_rows(every, ecosystem) == expected_rows(pushed, ecosystem), ecosystem
    assert {i["ecosystem"] for i in every} == {"Debian", "PyPI", "npm", "Maven", "Go"}

    # What a container sees leaves out the jar the whiteout deleted.
    # Debian 12 ships Log4j 2.19 (its point releases may patch it: the version is the jar's).
    legacy = [e for e in pushed.debian.expected if not e.visible]
    assert [(e.name, e.path) for e in legacy] == [
        ("org.apache.logging.log4j:log4j-core", f"{LEGACY}/log4j-core-{legacy[0].version}.jar")
    ]
    assert legacy[0].version.startswith("2.19.")
    assert len(visible) == len(every) - 1
    assert legacy[0].evidence(pushed.layers) not in {i["evidence"] for i in visible}
    assert sorted(i["purl"] for i in visible) == sorted(i["purl"] for i in every if i["visible"])

    sbom = httpx.get(
        f"{server.url}/api/v1/artifacts/{pushed.digest}/sbom",
        params={"format": "cyclonedx"},
        auth=AUTH,
        timeout=30,
    )
    assert sbom.status_code == 200
    purls = {c.get("purl") for c in sbom.json()["components"]}
    assert {"pkg:pypi/requests@2.25.0", "pkg:npm/lodash@4.17.15", "pkg:npm/lodash@4.17.21"} <= (
        purls
    )


def test_an_advisory_imported_later_is_matched_without_a_new_push(
    pushed: Pushed, server: CargoholdServer
) -> None:
    before = get(server, f"/artifacts/{pushed.digest}/vulnerabilities")
    assert before["findings"] == []
    since = rfc3339(time.time() - 1, "seconds")

    imported = httpx.post(
        f"{server.url}/api/v1/vulndb/import",
        content=json.dumps([REQUESTS_ADVISORY, URLLIB3_FIXED_ADVISORY]),
        headers={"Content-Type": "application/json"},
        auth=AUTH,
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["added"] == 2
    assert imported.json()["problems"] == []

    def matched() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = get(server, f"/artifacts/{pushed.digest}/vulnerabilities")[
            "findings"
        ]
        return found

    findings = poll("the re-match after the import", REMATCH_TIMEOUT, matched)
    (requests,) = [e for e in pushed.debian.expected if e.name == "requests"]
    assert [
        (f["advisory"], f["aliases"], f["fixed_in"], f["component"]["name"], f["evidence"])
        for f in findings
    ] == [
        (
            "CARGOHOLD-E2E-2023-0001",
            ["CVE-2023-32681"],
            ["2.31.0"],
            "requests",
            requests.evidence(pushed.layers),
        )
    ]
    assert findings[0]["component"]["version"] == "2.25.0"

    affected = get(server, "/affected", since=since)["items"]
    assert [(a["digest"], a["advisory"]) for a in affected] == [
        (pushed.digest, "CARGOHOLD-E2E-2023-0001")
    ]
    assert [
        (where["repository"], where["path"], where["tags"]) for where in affected[0]["locations"]
    ] == [("dev", "insight/debian", [TAG])]
