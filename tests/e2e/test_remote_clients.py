"""docker and skopeo, as users run them, pulling through a remote repository (a cache of
Debian's docker-registry) and through a virtual repository over a local one and that cache,
and pushing through the virtual repository into its default deploy repository."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.clients import CREDS, Skopeo
from tests.images import make_image, write_docker_archive
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd
from tests.upstreams import DockerRegistry, push_image

pytestmark = pytest.mark.e2e
AUTH = (ADMIN_USER, ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def repositories(server: CargoholdServer, upstream: DockerRegistry) -> CargoholdServer:
    """``mirror``: a cache of the docker-registry; ``all``: dev, then mirror, deploying to
    dev."""
    for body in (
        {"key": "mirror", "format": "docker", "kind": "remote", "upstream": upstream.url},
        {
            "key": "all",
            "format": "docker",
            "kind": "virtual",
            "members": ["dev", "mirror"],
            "defaultDeployRepo": "dev",
        },
    ):
        server.admin.call("POST", "/repositories", 201, body)
    return server


@pytest.fixture(scope="module")
def docker(dockerd: Dockerd, repositories: CargoholdServer) -> Iterator[Dockerd]:
    login = dockerd.docker(
        "login",
        "--username",
        ADMIN_USER,
        "--password-stdin",
        repositories.host,
        stdin=ADMIN_PASSWORD,
    )
    assert "Login Succeeded" in login.stdout
    yield dockerd
    dockerd.docker("logout", repositories.host, check=False)


def test_docker_and_skopeo_pull_through_the_remote_and_the_virtual_repository(
    docker: Dockerd, repositories: CargoholdServer, upstream: DockerRegistry, tmp_path: Path
) -> None:
    server = repositories
    image = make_image([{"etc/vendor": b"from upstream"}], label="vendor")
    with upstream.client() as http:
        push_image(http, "vendor/tool", "3.1", image)

    docker.docker("pull", f"{server.host}/mirror/vendor/tool:3.1")
    pulled = docker.docker(
        "image",
        "inspect",
        "--format",
        "{{json .RepoDigests}}",
        f"{server.host}/mirror/vendor/tool:3.1",
    )
    assert image.digest in pulled.stdout
    asked = upstream.requests(r"/v2/vendor/tool/blobs/.*", "GET")

    skopeo = Skopeo(tmp_path / "skopeo")
    copied = tmp_path / "copied"
    skopeo(
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        CREDS,
        f"docker://{server.host}/all/vendor/tool:3.1",
        f"oci:{copied}:3.1",
    )
    assert (copied / "index.json").is_file()
    # The virtual repository served it from the cache: the upstream was asked nothing more.
    assert upstream.requests(r"/v2/vendor/tool/blobs/.*", "GET") == asked
    digest = skopeo(
        "inspect",
        "--tls-verify=false",
        "--creds",
        CREDS,
        "--format",
        "{{.Digest}}",
        f"docker://{server.host}/all/vendor/tool:3.1",
    ).stdout.strip()
    assert digest == image.digest


def test_docker_pushes_through_the_virtual_repository_into_dev(
    docker: Dockerd, repositories: CargoholdServer, tmp_path: Path
) -> None:
    server = repositories
    image = make_image([{"srv/app": b"built here"}], label="app")
    archive = write_docker_archive(tmp_path / "app.tar", image, "app:4.0")
    docker.docker("load", "--input", str(archive))
    docker.docker("tag", "app:4.0", f"{server.host}/all/team/app:4.0")
    pushed = docker.docker("push", f"{server.host}/all/team/app:4.0")
    match = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed.stdout)
    assert match, pushed.stdout
    landed = httpx.head(
        f"{server.url}/v2/dev/team/app/manifests/4.0",
        auth=AUTH,
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert landed.status_code == 200
    assert landed.headers["Docker-Content-Digest"] == match.group(1)
    docker.docker("rmi", f"{server.host}/all/team/app:4.0")
    docker.docker("pull", f"{server.host}/all/team/app:4.0")
