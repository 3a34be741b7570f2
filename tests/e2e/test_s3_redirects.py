"""docker, skopeo and podman against a server whose blobs are in an object store (SeaweedFS) with
presigned redirects on: pushes go through cargohold into the bucket, every blob GET answers
307 to the object store, and the clients follow it to the right bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.clients import Podman, Skopeo
from tests.e2e.test_docker import inspect, load, push
from tests.images import make_image, sha256
from tests.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, seaweedfs: SeaweedFS
) -> Iterator[CargoholdServer]:
    data = tmp_path_factory.mktemp("cargohold-s3") / "data"
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "CARGOHOLD_STORAGE_URL": seaweedfs.url(data.parent.name),
        "CARGOHOLD_BLOB_REDIRECT": "presigned",
        "CARGOHOLD_BLOB_REDIRECT_EXPIRY": "60",
    }
    running = CargoholdServer(data, env=env).start()
    yield running
    running.stop()


def test_docker_skopeo_and_podman_follow_blob_redirects(
    dockerd: Dockerd,
    server: CargoholdServer,
    seaweedfs: SeaweedFS,
    tmp_path: Path,
) -> None:
    image = make_image([{"hello": b"from the object store"}, {"etc/y": b"y"}], label="s3")
    dockerd.docker(
        "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
    )
    try:
        load(dockerd, tmp_path, image, "local/s3:1")
        remote = f"{server.host}/dev/s3-redirect:1"
        dockerd.docker("tag", "local/s3:1", remote)
        digest, _ = push(dockerd, remote)

        redirected = httpx.get(
            f"{server.url}/v2/dev/s3-redirect/blobs/{sha256(image.config)}",
            auth=(ADMIN_USER, ADMIN_PASSWORD),
        )
        assert redirected.status_code == 307
        assert redirected.headers["Location"].startswith(seaweedfs.endpoint)

        dockerd.docker("rmi", "local/s3:1", remote)
        pulled = dockerd.docker("pull", remote)
        assert f"Digest: {digest}" in pulled.stdout
        assert inspect(dockerd, remote)["Id"] == sha256(image.config)
        dockerd.docker("rmi", remote)
    finally:
        dockerd.docker("logout", server.host, check=False)

    skopeo = Skopeo(tmp_path / "skopeo-home")
    copied = tmp_path / "copied"
    skopeo(
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        f"{ADMIN_USER}:{ADMIN_PASSWORD}",
        f"docker://{server.host}/dev/s3-redirect:1",
        f"dir:{copied}",
    )
    # The dir: transport keeps every blob as the registry sent it, named by its digest.
    assert (copied / sha256(image.config).removeprefix("sha256:")).read_bytes() == image.config

    (tmp_path / "podman-home").mkdir()
    podman = Podman(tmp_path / "podman-home")
    try:
        pulled_by_podman = podman(
            "pull",
            "--tls-verify=false",
            "--creds",
            f"{ADMIN_USER}:{ADMIN_PASSWORD}",
            f"{server.host}/dev/s3-redirect:1",
        )
        assert pulled_by_podman.returncode == 0
        image_id = podman(
            "image", "inspect", "--format", "{{.Id}}", f"{server.host}/dev/s3-redirect:1"
        ).stdout.strip()
        assert "sha256:" + image_id == sha256(image.config)
    finally:
        podman.close()
