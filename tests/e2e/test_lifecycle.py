"""The promotion story, as a pipeline runs it: docker pushes to dev, a property records the
evidence, the CLI promotes to staging and then to prod, docker pulls from prod the digest it
pushed to dev, prod refuses a push over the tag, the history shows both steps, and a webhook
receiver got every event, signed."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import make_image, write_docker_archive
from tests.receiver import Receiver
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd, cargohold_command

SECRET = "lifecycle-webhook-secret"

pytestmark = pytest.mark.e2e


def cargohold(server: CargoholdServer, home: Path, *args: str) -> str:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "CARGOHOLD_URL": server.url,
        "CARGOHOLD_USER": ADMIN_USER,
        "CARGOHOLD_PASSWORD": ADMIN_PASSWORD,
    }
    result = subprocess.run(
        [*cargohold_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"cargohold {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def docker(dockerd: Dockerd, server: CargoholdServer) -> Iterator[Dockerd]:
    dockerd.docker(
        "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
    )
    yield dockerd
    dockerd.docker("logout", server.host, check=False)


@pytest.fixture
def receiver(server: CargoholdServer) -> Iterator[Receiver]:
    """A loopback receiver, subscribed to every event of every repository."""
    running = Receiver().start()
    created = httpx.post(
        f"{server.url}/api/v1/webhooks",
        auth=(ADMIN_USER, ADMIN_PASSWORD),
        json={
            "name": "pipeline",
            "url": running.url,
            "secret": SECRET,
            "repositories": ["*"],
            "events": ["push", "delete", "promote", "property"],
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    yield running
    running.stop()


def test_push_promote_twice_pull_the_same_digest(
    docker: Dockerd, server: CargoholdServer, receiver: Receiver, tmp_path: Path
) -> None:
    dev, prod = f"{server.host}/dev/team/app:1.0", f"{server.host}/prod/team/app:1.0"
    image = make_image([{"app": b"release 1.0"}], label="lifecycle")
    archive = write_docker_archive(tmp_path / "app.tar", image, dev)
    docker.docker("load", "--input", str(archive))
    pushed = docker.docker("push", dev).stdout
    match = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed)
    assert match, pushed
    digest = match.group(1)

    home = tmp_path / "home"
    cargohold(server, home, "props", "set", "dev/team/app:1.0", "qa.status=passed")
    cargohold(server, home, "promote", "dev/team/app:1.0", "staging", "--comment", "QA passed")
    moved = cargohold(
        server, home, "promote", "staging/team/app:1.0", "prod", "--property", "release=2026.11"
    )
    assert f"moved staging/team/app@{digest} to prod/team/app as 1.0" in moved

    docker.docker("image", "rm", dev)
    pulled = docker.docker("pull", prod).stdout
    assert f"Digest: {digest}" in pulled

    other = make_image([{"app": b"a different build"}], label="lifecycle")
    docker.docker("load", "--input", str(write_docker_archive(tmp_path / "b.tar", other, prod)))
    refused = docker.docker("push", prod, check=False)
    assert refused.returncode != 0
    assert "immutable tags" in refused.stderr
    pulled_again = docker.docker("pull", prod).stdout  # still the promoted image
    assert f"Digest: {digest}" in pulled_again

    history = json.loads(cargohold(server, home, "promotions", "--digest", digest, "--json"))
    assert [(p["sourceRepo"], p["targetRepo"], p["result"]) for p in reversed(history)] == [
        ("dev", "staging", "ok"),
        ("staging", "prod", "ok"),
    ]
    props = json.loads(cargohold(server, home, "props", "get", f"prod/team/app@{digest}", "--json"))
    assert props == {"release": ["2026.11"]}
    tag_props = json.loads(cargohold(server, home, "props", "get", "prod/team/app:1.0", "--json"))
    assert tag_props == {"qa.status": ["passed"]}

    # push, property, promote to staging, promote to prod (the refused push sends nothing)
    received = receiver.wait_for(4)
    assert all(r.signed_with(SECRET) for r in received)
    events = [r.event for r in received]
    # Deliveries keep the order of events per repository and artifact.
    in_dev = [e["type"] for e in events if e["source"] == "/repositories/dev"]
    assert in_dev == ["dev.cargohold.push", "dev.cargohold.property"]
    promoted = sorted(e["source"] for e in events if e["type"] == "dev.cargohold.promote")
    assert promoted == ["/repositories/prod", "/repositories/staging"]
    assert all(e["specversion"] == "1.0" and e["subject"] == "team/app" for e in events)
    assert {e["data"]["digest"] for e in events if "digest" in e["data"]} == {digest}


def test_properties_of_a_generic_file_through_the_cli(
    server: CargoholdServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    cargohold(server, home, "repo", "create", "files-cli", "--format", "generic")
    deployed = httpx.put(
        f"{server.url}/generic/files-cli/releases/app.tgz;build.name=web;build.number=7",
        content=b"release archive",
        auth=(ADMIN_USER, ADMIN_PASSWORD),
        timeout=30,
    )
    assert deployed.status_code == 201, deployed.text
    shown = json.loads(
        cargohold(server, home, "props", "get", "--file", "files-cli/releases/app.tgz", "--json")
    )
    assert shown == {"build.name": ["web"], "build.number": ["7"]}
    cargohold(server, home, "props", "set", "--file", "files-cli/releases/app.tgz", "qa=ok")
    cargohold(server, home, "props", "delete", "--file", "files-cli/releases/app.tgz", "build.name")
    after = json.loads(
        cargohold(server, home, "props", "get", "--file", "files-cli/releases/app.tgz", "--json")
    )
    assert after == {"build.number": ["7"], "qa": ["ok"]}
