"""podman (vfs storage in a private root) pushes to and pulls from cargohold."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.images import make_image, sha256, write_docker_archive
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e
Podman = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def podman(tmp_path: Path) -> Iterator[Podman]:
    binary = shutil.which("podman")
    assert binary, "podman is not installed (Debian package podman)"
    env = {**os.environ, "REGISTRY_AUTH_FILE": str(tmp_path / "auth.json"), "HOME": str(tmp_path)}
    state = Path(tempfile.mkdtemp(prefix="chpm"))  # podman wants a run root of <= 50 chars
    (tmp_path / "auth.json").write_text("{}")

    def run(
        *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [
                binary,
                "--root",
                str(state / "root"),
                "--runroot",
                str(state / "run"),
                "--storage-driver",
                "vfs",
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            input=stdin,
            timeout=300,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}:\n{result.stdout}\n{result.stderr}")
        return result

    yield run
    run("rmi", "-a", "-f", check=False)
    shutil.rmtree(state, ignore_errors=True)


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
    podman("pull", "--tls-verify=false", reference)  # anonymous: dev allows anonymous read
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
