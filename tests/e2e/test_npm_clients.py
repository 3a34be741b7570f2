"""The npm CLI, as users run it, against cargohold's npm repositories on loopback: publishing
unscoped and scoped packages, installing from local, remote (another cargohold as the
upstream) and virtual repositories, dist-tags, deprecation, unpublishing (allowed and
refused), ``npm login`` and ``whoami``, ``npm audit`` from the advisory database, a download
blocked by a policy, the dependency-confusion guard, and bad input refused with npm's error
shape. No outside registry is ever asked: every registry URL is a loopback one."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cargohold.meta.repositories import packages_json
from cargohold.meta.store import open_metadata_store
from cargohold.records.packages import PackageSettings
from tests.npm_client import NpmClient, locked, package_dir, project_dir
from tests.npm_packages import integrity, publish_body, tarball
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer
from tests.unit import cataloger_fixtures as fx

pytestmark = pytest.mark.e2e
AUTH = (ADMIN_USER, ADMIN_PASSWORD)
REPOSITORIES = ("npm-local", "npm-locked", "npm-blocked", "npm-remote", "npm-all")
LODASH = "GHSA-p6mc-m468-83gw"
ADVISORY = "CARGO-2026-0001"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    """Another cargohold: the upstream of the remote repository, its npm-local readable by
    anyone."""
    running = CargoholdServer(tmp_path_factory.mktemp("upstream") / "data", workers=1).start()
    running.admin.call("POST", "/repositories", 201, {"key": "npm-local", "format": "npm"})
    running.admin.allow_anonymous_read("npm-local")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def setup(server: CargoholdServer, upstream: CargoholdServer) -> CargoholdServer:
    admin = server.admin
    for key in ("npm-local", "npm-locked", "npm-blocked"):
        admin.call("POST", "/repositories", 201, {"key": key, "format": "npm"})
    admin.call(
        "POST",
        "/repositories",
        201,
        {
            "key": "npm-remote",
            "format": "npm",
            "kind": "remote",
            "upstream": f"{upstream.url}/npm/npm-local",
        },
    )
    admin.call(
        "POST",
        "/repositories",
        201,
        {
            "key": "npm-all",
            "format": "npm",
            "kind": "virtual",
            "members": ["npm-local", "npm-remote"],
            "defaultDeployRepo": "npm-local",
        },
    )
    # As an operator will with the repository's package settings: no unpublishing.
    meta = open_metadata_store(f"sqlite:///{server.data_dir / 'cargohold.db'}")
    try:
        meta.repositories.update(
            "npm-locked", {"packages": packages_json(PackageSettings(unpublish=False))}
        )
    finally:
        meta.close()
    return server


@pytest.fixture(scope="module")
def npm(
    setup: CargoholdServer, upstream: CargoholdServer, tmp_path_factory: pytest.TempPathFactory
) -> NpmClient:
    client = NpmClient(tmp_path_factory.mktemp("npm-home"), url(setup, "npm-local"))
    credentials = {url(setup, key): AUTH for key in REPOSITORIES}
    credentials[url(upstream, "npm-local")] = AUTH
    client.write_config(credentials)
    return client


def url(server: CargoholdServer, key: str) -> str:
    return f"{server.url}/npm/{key}/"


def publish(npm: NpmClient, tmp: Path, registry: str, name: str, version: str, *args: str) -> str:
    done = npm.run("publish", *args, cwd=package_dir(tmp, name, version), registry=registry)
    return done.stdout + done.stderr


def versions(npm: NpmClient, name: str, cwd: Path, registry: str | None = None) -> list[str]:
    """``npm view NAME versions``: a list (npm 9 shows a single one as a string)."""
    shown = npm.json("view", name, "versions", cwd=cwd, registry=registry)
    return shown if isinstance(shown, list) else [shown]


def test_packages_are_published_and_installed_with_their_integrity(
    npm: NpmClient, setup: CargoholdServer, tmp_path: Path
) -> None:
    local = url(setup, "npm-local")
    publish(npm, tmp_path, local, "e2e-greeting", "1.0.0")
    publish(npm, tmp_path, local, "@acme/widget", "2.1.0", "--access", "public")
    viewed = npm.json("view", "@acme/widget", cwd=tmp_path, registry=local)
    assert viewed["version"] == "2.1.0"
    assert viewed["dist"]["tarball"] == f"{local}@acme/widget/-/widget-2.1.0.tgz"

    project = project_dir(tmp_path, "app")
    npm.run("install", "e2e-greeting@1.0.0", "@acme/widget", cwd=project, registry=local)
    for name, filename in (
        ("e2e-greeting", "e2e-greeting-1.0.0.tgz"),
        ("@acme/widget", "widget-2.1.0.tgz"),
    ):
        entry = locked(project, name)
        assert entry["resolved"] == f"{local}{name}/-/{filename}"
        data = httpx.get(entry["resolved"], auth=AUTH).content
        assert entry["integrity"] == integrity(data)
    assert (project / "node_modules/@acme/widget/index.js").read_text() == (
        'module.exports = "@acme/widget@2.1.0"\n'
    )

    # --force: npm 11 would otherwise refuse by itself, having read the packument; the
    # server's 409 is what npm 9 shows either way.
    again = npm.run(
        "publish", "--force", cwd=package_dir(tmp_path, "e2e-greeting", "1.0.0"), check=False
    )
    assert again.returncode != 0
    assert f"409 Conflict - PUT {local}e2e-greeting" in again.stderr
    assert "You cannot publish over the previously published versions: 1.0.0." in again.stderr
    assert "already in repository 'npm-local', which does not allow overwriting" in again.stderr


def test_npm_search_lists_the_packages_by_name(npm: NpmClient, tmp_path: Path) -> None:
    directory = package_dir(tmp_path, "e2e-searchable", "1.2.0", description="find me")
    npm.run("publish", cwd=directory)
    found = npm.json("search", "searchable", cwd=tmp_path)
    assert [(p["name"], p["version"], p["description"]) for p in found] == [
        ("e2e-searchable", "1.2.0", "find me")
    ]


def test_dist_tags_are_added_listed_and_removed(
    npm: NpmClient, setup: CargoholdServer, tmp_path: Path
) -> None:
    local = url(setup, "npm-local")
    publish(npm, tmp_path, local, "e2e-tagged", "1.0.0")
    publish(npm, tmp_path, local, "e2e-tagged", "2.0.0-rc.1", "--tag", "next")
    listed = npm.run("dist-tag", "ls", "e2e-tagged", cwd=tmp_path).stdout
    assert listed.split("\n")[:2] == ["latest: 1.0.0", "next: 2.0.0-rc.1"]
    npm.run("dist-tag", "add", "e2e-tagged@2.0.0-rc.1", "beta", cwd=tmp_path)
    npm.run("dist-tag", "rm", "e2e-tagged", "next", cwd=tmp_path)
    listed = npm.run("dist-tag", "ls", "e2e-tagged", cwd=tmp_path).stdout
    assert listed.strip().split("\n") == ["beta: 2.0.0-rc.1", "latest: 1.0.0"]
    project = project_dir(tmp_path, "tagged")
    npm.run("install", "e2e-tagged@beta", cwd=project)
    assert locked(project, "e2e-tagged")["version"] == "2.0.0-rc.1"


def test_a_deprecated_version_warns_on_install(
    npm: NpmClient, setup: CargoholdServer, tmp_path: Path
) -> None:
    publish(npm, tmp_path, url(setup, "npm-local"), "e2e-old", "1.0.0")
    npm.run("deprecate", "e2e-old@1.0.0", "use e2e-new instead", cwd=tmp_path)
    project = project_dir(tmp_path, "old")
    installed = npm.run("install", "e2e-old", cwd=project)
    assert "deprecated e2e-old@1.0.0: use e2e-new instead" in installed.stderr
    npm.run("deprecate", "e2e-old@1.0.0", "", cwd=tmp_path)
    viewed = npm.json("view", "e2e-old", cwd=tmp_path)
    assert "deprecated" not in viewed


def test_unpublish_is_allowed_where_the_repository_allows_it(
    npm: NpmClient, setup: CargoholdServer, tmp_path: Path
) -> None:
    for key in ("npm-local", "npm-locked"):
        for version in ("1.0.0", "1.0.1"):
            publish(npm, tmp_path / key, url(setup, key), "e2e-gone", version)
    npm.run("unpublish", "e2e-gone@1.0.1", cwd=tmp_path)
    assert versions(npm, "e2e-gone", tmp_path) == ["1.0.0"]
    npm.run("unpublish", "e2e-gone", "--force", cwd=tmp_path)
    gone = npm.run("view", "e2e-gone", cwd=tmp_path, check=False)
    assert "E404" in gone.stderr

    locked_repo = url(setup, "npm-locked")
    refused = npm.run(
        "unpublish", "e2e-gone@1.0.1", cwd=tmp_path, registry=locked_repo, check=False
    )
    assert refused.returncode != 0
    assert "E403" in refused.stderr
    assert "does not allow unpublishing; deprecate the version instead" in refused.stderr
    assert versions(npm, "e2e-gone", tmp_path, locked_repo) == ["1.0.0", "1.0.1"]


def test_npm_login_and_whoami(npm: NpmClient, setup: CargoholdServer, tmp_path: Path) -> None:
    setup.admin.create_user("npm-alice", "alice-password-1")
    setup.admin.grant("user:npm-alice", ["npm-local"], ["read", "write"])
    local = url(setup, "npm-local")
    config = tmp_path / "alice.npmrc"
    code, output = npm.login(local, "npm-alice", "alice-password-1", config)
    assert code == 0, output
    assert f"Logged in on {local}" in output
    assert f"{npm.nerfed(local)}:_authToken=" in config.read_text()
    whoami = npm.run("whoami", cwd=tmp_path, userconfig=config)
    assert whoami.stdout.strip() == "npm-alice"
    directory = package_dir(tmp_path, "e2e-alices", "1.0.0")
    npm.run("publish", cwd=directory, userconfig=config)

    wrong = tmp_path / "wrong.npmrc"
    code, output = npm.login(local, "npm-alice", "not-her-password", wrong)
    assert code != 0
    assert "E401" in output


def test_npm_audit_reports_an_advisory_of_the_database(
    npm: NpmClient, setup: CargoholdServer, tmp_path: Path
) -> None:
    publish(npm, tmp_path, url(setup, "npm-local"), "e2e-leaky", "1.0.0")
    record = {
        "id": ADVISORY,
        "modified": "2026-01-01T00:00:00Z",
        "summary": "e2e-leaky leaks secrets",
        "database_specific": {"severity": "HIGH"},
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "e2e-leaky"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}],
            }
        ],
    }
    setup.admin.call("POST", "/vulndb/import", 200, [record])
    project = project_dir(tmp_path, "audited")
    npm.run("install", "e2e-leaky", cwd=project)
    audit = npm.run("audit", "--json", cwd=project, check=False)
    assert audit.returncode != 0  # vulnerabilities found
    report = json.loads(audit.stdout)
    [via] = report["vulnerabilities"]["e2e-leaky"]["via"]
    assert (via["source"], via["severity"], via["range"]) == (ADVISORY, "high", "<1.0.1")
    assert report["metadata"]["vulnerabilities"]["high"] == 1


def test_a_download_blocked_by_a_policy_names_the_policy_and_the_advisory(
    npm: NpmClient, setup: CargoholdServer, tmp_path: Path
) -> None:
    blocked = url(setup, "npm-blocked")
    data = fx.fixture("npm/lodash-4.17.15.tgz").read_bytes()
    setup.admin.call("POST", "/vulndb/import", 200, [lodash_advisory()])
    # Published as npm would, but not by this npm, whose cache would then hold the tarball
    # and never download it.
    body = publish_body("lodash", "4.17.15", data)
    assert httpx.put(f"{blocked}lodash", json=body, auth=AUTH, timeout=30).status_code == 201
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    wait_for_scan(setup, digest)
    setup.admin.call(
        "POST",
        "/policies",
        201,
        {
            "name": "npm-no-high",
            "rules": {"minSeverity": "HIGH"},
            "actions": {"blockDownload": True},
        },
    )
    setup.admin.call(
        "POST",
        "/watches",
        201,
        {"name": "npm-gate", "repositories": ["npm-blocked"], "policies": ["npm-no-high"]},
    )
    project = project_dir(tmp_path, "blocked")
    refused = npm.run("install", "lodash@4.17.15", cwd=project, registry=blocked, check=False)
    assert refused.returncode != 0
    assert "403 Forbidden - GET " in refused.stderr
    assert (
        f'blocked by policy "npm-no-high" (watch "npm-gate"): {LODASH} (HIGH) in lodash 4.17.15'
        in refused.stderr
    )


def test_installs_through_a_remote_and_a_virtual_repository_and_the_guard(
    npm: NpmClient, setup: CargoholdServer, upstream: CargoholdServer, tmp_path: Path
) -> None:
    upstream_local = url(upstream, "npm-local")
    publish(npm, tmp_path / "up", upstream_local, "e2e-public", "3.0.0")
    publish(npm, tmp_path / "up", upstream_local, "e2e-internal", "9.9.9")
    publish(npm, tmp_path, url(setup, "npm-local"), "e2e-internal", "1.0.0")

    remote = url(setup, "npm-remote")
    project = project_dir(tmp_path, "remote")
    npm.run("install", "e2e-public", cwd=project, registry=remote)
    entry = locked(project, "e2e-public")
    assert entry["resolved"] == f"{remote}e2e-public/-/e2e-public-3.0.0.tgz"
    data = httpx.get(f"{upstream_local}e2e-public/-/e2e-public-3.0.0.tgz").content
    assert entry["integrity"] == integrity(data)

    virtual = url(setup, "npm-all")
    project = project_dir(tmp_path, "virtual")
    npm.run("install", "e2e-public", "e2e-internal", cwd=project, registry=virtual)
    assert (
        locked(project, "e2e-public")["resolved"] == f"{virtual}e2e-public/-/e2e-public-3.0.0.tgz"
    )
    # The name is held by a local member: the upstream's 9.9.9 is never seen.
    internal = locked(project, "e2e-internal")
    assert (internal["version"], internal["resolved"]) == (
        "1.0.0",
        f"{virtual}e2e-internal/-/e2e-internal-1.0.0.tgz",
    )
    assert versions(npm, "e2e-internal", tmp_path, virtual) == ["1.0.0"]

    publish(npm, tmp_path / "virtual", virtual, "e2e-via-virtual", "1.0.0")
    assert npm.json("view", "e2e-via-virtual", "version", cwd=tmp_path) == "1.0.0"


def test_bad_input_is_refused_in_npms_error_shape(setup: CargoholdServer) -> None:
    base = f"{setup.url}/npm/npm-local"
    with httpx.Client(auth=AUTH, timeout=30) as http:
        malformed = http.put(
            f"{base}/e2e-bad",
            content=b'{"versions": ',
            headers={"Content-Type": "application/json"},
        )
        assert malformed.status_code == 400
        assert "not a JSON document" in malformed.json()["error"]

        body = publish_body("e2e-bad", "1.0.0", tarball("e2e-bad", "1.0.0"))
        body["versions"]["1.0.0"]["dist"]["integrity"] = integrity(b"other bytes")
        wrong = http.put(f"{base}/e2e-bad", json=body)
        assert wrong.status_code == 400
        assert "does not match its dist.integrity" in wrong.json()["error"]

        disagreeing = publish_body("e2e-bad", "1.0.0", tarball("e2e-other", "1.0.0"))
        refused = http.put(f"{base}/e2e-bad", json=disagreeing)
        assert refused.status_code == 400
        assert "package.json names 'e2e-other'" in refused.json()["error"]

        for path in ("..%2f..%2fetc%2fpasswd", "%2e%2e", "e2e-bad/..%2f..%2fx"):
            tricked = http.put(f"{base}/{path}", json=publish_body("e2e-bad", "1.0.0"))
            assert tricked.status_code in (400, 404), path
            assert tricked.json()["error"]
        assert http.get(f"{base}/e2e-bad").status_code == 404


def lodash_advisory() -> dict[str, object]:
    return {
        "id": LODASH,
        "modified": "2024-02-01T00:00:00Z",
        "summary": "Prototype Pollution in lodash",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "lodash"},
                "ranges": [
                    {"type": "SEMVER", "events": [{"introduced": "3.7.0"}, {"fixed": "4.17.19"}]}
                ],
            }
        ],
    }


def wait_for_scan(server: CargoholdServer, digest: str, timeout: float = 120) -> None:
    """Until the server's worker has scanned ``digest`` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{server.url}/api/v1/artifacts/{digest}/scan", auth=AUTH, timeout=10)
        if response.status_code == 200 and response.json().get("status") == "done":
            return
        time.sleep(0.5)
    raise AssertionError(f"{digest} was not scanned in {timeout} s")
