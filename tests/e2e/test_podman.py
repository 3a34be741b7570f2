"""podman (vfs storage in a private root) pushes to and pulls from cargohold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.clients import Podman
from tests.images import make_image, sha256, write_docker_archive
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def podman(tmp_path: Path) -> Iterator[Podman]:
    running = Podman(tmp_path)
    yield running
    running.close()


@pytest.fixture(scope="module", autouse=True)
def anonymous_dev(server: CargoholdServer) -> None:
    server.admin.allow_anonymous_read("dev")


def test_login_push_and_anonymous_pull(
    podman: Podman, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"podman": b"pushed by podman"}], label="podman")
    archive = write_docker_archive(tmp_path / "image.tar", image, "local/podman:1")
    reference = f"{server.host}/dev/podman/app:1"

    wrong = podman(
        "login",
        "--tls-verify=false",
        "-u",
        ADMIN_USER,
        "--password-stdin",
        server.host,
        stdin="wrong",
        check=False,
    )
    assert wrong.returncode != 0
    podman(
        "login",
        "--tls-verify=false",
        "-u",
        ADMIN_USER,
        "--password-stdin",
        server.host,
        stdin=ADMIN_PASSWORD,
    )
    podman("load", "-i", str(archive))
    podman("tag", "local/podman:1", reference)
    podman("push", "--tls-verify=false", reference)
    podman("logout", server.host)

    podman("rmi", "-a", "-f")
    podman("pull", "--tls-verify=false", reference)  # anonymous: dev is open to anonymous reads
    image_id = podman("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip()
    assert "sha256:" + image_id == sha256(image.config)


def test_push_to_an_unknown_repository_key_names_it(
    podman: Podman, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"x": b"y"}])
    archive = write_docker_archive(tmp_path / "image.tar", image, "local/nokey:1")
    podman("load", "-i", str(archive))
    podman("tag", "local/nokey:1", f"{server.host}/nosuchkey/app:1")
    pushed = podman(
        "push",
        "--tls-verify=false",
        "--creds",
        f"{ADMIN_USER}:{ADMIN_PASSWORD}",
        f"{server.host}/nosuchkey/app:1",
        check=False,
    )
    assert pushed.returncode != 0
    assert "nosuchkey" in pushed.stderr
