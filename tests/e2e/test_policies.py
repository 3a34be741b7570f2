"""Policies with the real server, the real CLI and the docker client: an image holding a
vulnerable Python package is pushed with docker and scanned by the server's own worker; a
policy and a watch made with ``cargohold policy|watch create`` make ``docker pull`` fail with
the policy's name; an exception granted with ``cargohold policy exception grant`` lets it
through, and revoking it blocks it again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import Cli, table
from tests.images import write_docker_archive
from tests.integration.test_policies import ADVISORIES, HIGH, vulnerable
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def docker(dockerd: Dockerd, server: CargoholdServer) -> Iterator[Dockerd]:
    login = dockerd.docker(
        "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
    )
    assert "Login Succeeded" in login.stdout
    yield dockerd
    dockerd.docker("logout", server.host, check=False)


def test_docker_pull_of_a_blocked_image_fails_naming_the_policy(
    docker: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    cli = Cli.fresh(server, tmp_path)
    advisories = tmp_path / "urllib3.json"
    advisories.write_text(json.dumps(ADVISORIES))
    assert cli.json("vulndb", "import", str(advisories))["added"] == 2

    image = vulnerable("e2e-policy")
    archive = write_docker_archive(tmp_path / "app.tar", image, "local/policy-app:1")
    docker.docker("load", "--input", str(archive))
    remote = f"{server.host}/dev/policy/app:1"
    docker.docker("tag", "local/policy-app:1", remote)
    docker.docker("push", remote)
    # The push queued the scan; --wait polls (bounded) until the server's worker is done.
    scanned = cli.json("scan", "dev/policy/app:1", "--wait", "120")
    assert scanned["status"] == "done"
    digest = scanned["digest"]

    created = cli.ok("policy", "create", "no-high", "--min-severity", "high", "--block-download")
    assert created.strip() == "created policy no-high: minSeverity=HIGH → blockDownload"
    cli.ok("watch", "create", "dev-gate", "--repository", "dev", "--policy", "no-high")
    assert table(cli.ok("watch", "list")) == [["dev-gate", "dev", "no-high"]]
    assert table(cli.ok("policy", "list")) == [["no-high", "minSeverity=HIGH", "blockDownload"]]
    assert cli.json("policy", "show", "no-high")["rules"] == {"minSeverity": "HIGH"}

    docker.docker("rmi", "local/policy-app:1", remote)
    refused = docker.docker("pull", remote, check=False)
    assert refused.returncode != 0
    assert 'blocked by policy "no-high" (watch "dev-gate")' in refused.stderr, refused.stderr
    assert f"{HIGH} (HIGH) in urllib3 1.26.5" in refused.stderr

    granted = cli.json(
        "policy",
        "exception",
        "grant",
        digest,
        "CVE-2023-43804",
        "--expires-in",
        "1h",
        "--reason",
        "not reachable in this service",
    )
    assert (granted["advisory"], granted["expired"]) == ("CVE-2023-43804", False)
    pulled = docker.docker("pull", remote)
    assert f"Digest: {digest}" in pulled.stdout
    [listed] = cli.json("policy", "exception", "list", "--active")
    assert listed["id"] == granted["id"]

    cli.ok("policy", "exception", "revoke", granted["id"])
    docker.docker("rmi", remote)
    again = docker.docker("pull", remote, check=False)
    assert again.returncode != 0 and 'blocked by policy "no-high"' in again.stderr
    in_use = cli.fails("policy", "delete", "no-high")
    assert "is applied by watch 'dev-gate'" in in_use
