"""The docker CLI and a private dockerd against the real server: login, load + push, pull
back, multi-arch pulls, cross-repository mounts and a push to an unknown repository key."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import Image, make_image, sha256, write_docker_archive, write_oci_layout
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

pytestmark = pytest.mark.e2e

DOCKER_V2S2 = "application/vnd.docker.distribution.manifest.v2+json"
AUTH = (ADMIN_USER, ADMIN_PASSWORD)
PLATFORMS = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@pytest.fixture(scope="module")
def docker(dockerd: Dockerd, server: CargoholdServer) -> Iterator[Dockerd]:
    """The dockerd client, logged in to this module's server."""
    login = dockerd.docker(
        "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
    )
    assert "Login Succeeded" in login.stdout
    yield dockerd
    dockerd.docker("logout", server.host, check=False)


def load(docker: Dockerd, tmp_path: Path, image: Image, tag: str) -> None:
    archive = write_docker_archive(tmp_path / f"{image.digest[7:19]}.tar", image, tag)
    result = docker.docker("load", "--input", str(archive))
    assert f"Loaded image: {tag}" in result.stdout


def push(docker: Dockerd, reference: str) -> tuple[str, str]:
    """Push; returns the digest docker reports and the whole output."""
    result = docker.docker("push", reference)
    match = re.search(r"digest: (sha256:[0-9a-f]{64}) size: \d+", result.stdout)
    assert match, result.stdout
    return match.group(1), result.stdout


def inspect(docker: Dockerd, reference: str) -> dict[str, object]:
    details: list[dict[str, object]] = json.loads(
        docker.docker("image", "inspect", reference).stdout
    )
    return details[0]


def test_login_needs_the_right_password(docker: Dockerd, server: CargoholdServer) -> None:
    wrong = docker.docker(
        "login",
        "--username",
        ADMIN_USER,
        "--password-stdin",
        server.host,
        stdin="not-the-password",
        check=False,
    )
    assert wrong.returncode != 0
    assert "unauthorized" in wrong.stderr.lower() or "401" in wrong.stderr

    right = docker.docker(
        "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
    )
    assert "Login Succeeded" in right.stdout
    config = json.loads((docker.root / "config" / "config.json").read_text())
    assert server.host in config["auths"]


def test_load_push_remove_and_pull_back(
    docker: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"docker round trip"}, {"etc/x": b"x"}], label="docker-rt")
    load(docker, tmp_path, image, "local/roundtrip:1")
    image_id = sha256(image.config)
    assert inspect(docker, "local/roundtrip:1")["Id"] == image_id

    remote = f"{server.host}/dev/docker-roundtrip:1"
    docker.docker("tag", "local/roundtrip:1", remote)
    digest, _ = push(docker, remote)

    served = httpx.get(
        f"{server.url}/v2/dev/docker-roundtrip/manifests/1",
        headers={"Accept": DOCKER_V2S2},
        auth=AUTH,
    )
    assert served.status_code == 200
    assert served.headers["content-type"] == DOCKER_V2S2
    assert served.headers["docker-content-digest"] == digest
    assert sha256(served.content) == digest
    assert json.loads(served.content)["config"]["digest"] == image_id

    docker.docker("rmi", "local/roundtrip:1", remote)
    assert docker.docker("image", "inspect", remote, check=False).returncode != 0

    pulled = docker.docker("pull", remote)
    assert f"Digest: {digest}" in pulled.stdout
    details = inspect(docker, remote)
    assert details["Id"] == image_id
    assert details["RepoDigests"] == [f"{server.host}/dev/docker-roundtrip@{digest}"]
    rootfs = details["RootFS"]
    assert isinstance(rootfs, dict)
    assert rootfs["Layers"] == image.diff_ids


def test_pull_of_a_multi_arch_index_picks_the_daemon_platform(
    docker: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    images = {
        "amd64": make_image([{"hello": b"amd64 for docker"}], "amd64", label="docker-amd64"),
        "arm64": make_image([{"hello": b"arm64 for docker"}], "arm64", label="docker-arm64"),
    }
    layout = write_oci_layout(tmp_path / "layout", images, index_tag="1")
    index_digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    skopeo_push_all(tmp_path / "skopeo", f"oci:{layout}:1", f"{server.host}/dev/docker-multi:1")

    machine = docker.docker("info", "--format", "{{.Architecture}}").stdout.strip()
    native = PLATFORMS[machine]  # the platform dockerd pulls for: amd64 on x86_64
    remote = f"{server.host}/dev/docker-multi:1"
    pulled = docker.docker("pull", remote)

    assert f"Digest: {index_digest}" in pulled.stdout
    details = inspect(docker, remote)
    assert details["Architecture"] == native
    assert details["Id"] == sha256(images[native].config)
    assert details["RepoDigests"] == [f"{server.host}/dev/docker-multi@{index_digest}"]


def test_push_mounts_layers_from_another_repository(
    docker: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"mount me"}, {"lib/a": b"a"}], label="docker-mount")
    load(docker, tmp_path, image, "local/mount:1")
    for name in ("dev", "staging"):
        docker.docker("tag", "local/mount:1", f"{server.host}/{name}/docker-mount:1")

    dev_digest, _ = push(docker, f"{server.host}/dev/docker-mount:1")
    staging_digest, output = push(docker, f"{server.host}/staging/docker-mount:1")

    assert staging_digest == dev_digest
    assert output.count("Mounted from dev/docker-mount") == len(image.layers), output
    assert "Pushed" not in output
    manifest = httpx.get(
        f"{server.url}/v2/staging/docker-mount/manifests/{staging_digest}",
        headers={"Accept": DOCKER_V2S2},
        auth=AUTH,
    )
    assert manifest.status_code == 200
    for layer in json.loads(manifest.content)["layers"]:
        blob = httpx.head(
            f"{server.url}/v2/staging/docker-mount/blobs/{layer['digest']}", auth=AUTH
        )
        assert blob.status_code == 200


def test_push_to_an_unknown_repository_key_names_it(
    docker: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    image = make_image([{"hello": b"nowhere to go"}], label="docker-unknown")
    load(docker, tmp_path, image, "local/unknown:1")
    remote = f"{server.host}/nosuchkey/app:1"
    docker.docker("tag", "local/unknown:1", remote)

    result = docker.docker("push", remote, check=False)

    assert result.returncode != 0
    assert "name unknown" in result.stderr.lower(), result.stderr
    assert "nosuchkey" in result.stderr, result.stderr
    tags = httpx.get(f"{server.url}/v2/nosuchkey/app/tags/list", auth=AUTH)
    assert tags.status_code == 404


def skopeo_push_all(home: Path, source: str, destination: str) -> None:
    """``skopeo copy --all`` with a private home, auth file and trust policy."""
    binary = shutil.which("skopeo")
    if binary is None:
        raise AssertionError("skopeo is not installed (Debian package skopeo)")
    home.mkdir(parents=True, exist_ok=True)
    policy = home / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    authfile = home / "auth.json"
    authfile.write_text(json.dumps({"auths": {}}))
    (home / "registries.conf").write_text("")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(home),
        "XDG_CONFIG_HOME": str(home),
        "CONTAINERS_REGISTRIES_CONF": str(home / "registries.conf"),
        "REGISTRY_AUTH_FILE": str(authfile),
    }
    result = subprocess.run(
        [
            binary,
            "--policy",
            str(policy),
            "--registries.d",
            str(home),
            "copy",
            "--all",
            "--authfile",
            str(authfile),
            "--dest-tls-verify=false",
            "--dest-creds",
            f"{ADMIN_USER}:{ADMIN_PASSWORD}",
            source,
            f"docker://{destination}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
