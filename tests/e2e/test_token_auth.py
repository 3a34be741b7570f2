"""Docker registry token authentication with the real clients: docker, skopeo, podman and the
oras SDK meet a Bearer challenge, get tokens from ``/v2/token`` and push and pull with them;
the README's CI push token and fleet pull account, set up through the REST API as an admin
would. Each test shows the token flow was used: a refresh token docker keeps instead of the
password, the token request in the client's debug output, or a credential that is only a
registry token."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import oras.client
import pytest

from tests.e2e.clients import Podman, Skopeo, layout_manifest
from tests.images import (
    OCI_MANIFEST,
    Image,
    make_image,
    sha256,
    write_docker_archive,
    write_oci_layout,
)
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

pytestmark = pytest.mark.e2e
AUTH = (ADMIN_USER, ADMIN_PASSWORD)


@pytest.fixture(scope="module", autouse=True)
def public_staging(server: CargoholdServer) -> None:
    """staging is open to anonymous reads; dev and prod stay private, as they start."""
    server.admin.allow_anonymous_read("staging")


def claims(jwt: str) -> dict[str, Any]:
    """The payload of a registry token (no verification: the server did that)."""
    payload = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def registry_token(server: CargoholdServer, scope: str, auth: tuple[str, str]) -> str:
    response = httpx.get(
        f"{server.url}/v2/token", params={"service": "cargohold", "scope": scope}, auth=auth
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def served_digest(server: CargoholdServer, name: str, tag: str) -> str | None:
    """The digest the registry serves for a tag (to the admin); None if there is none."""
    response = httpx.head(
        f"{server.url}/v2/{name}/manifests/{tag}",
        auth=AUTH,
        headers={"Accept": f"{OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json"},
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    digest: str = response.headers["Docker-Content-Digest"]
    return digest


# --- the challenge --------------------------------------------------------------------------


def test_registry_challenges_for_a_bearer_token(server: CargoholdServer) -> None:
    ping = httpx.get(f"{server.url}/v2/")
    assert ping.status_code == 401
    assert ping.headers["WWW-Authenticate"] == (
        f'Bearer realm="{server.url}/v2/token",service="cargohold"'
    )
    upload = httpx.post(f"{server.url}/v2/dev/team/app/blobs/uploads/")
    assert upload.status_code == 401
    assert upload.headers["WWW-Authenticate"] == (
        f'Bearer realm="{server.url}/v2/token",service="cargohold",'
        'scope="repository:dev/team/app:pull,push"'
    )


# --- docker ---------------------------------------------------------------------------------


class DockerClient:
    """The docker CLI with a client configuration of its own, as on another machine."""

    def __init__(self, dockerd: Dockerd, server: CargoholdServer, config: Path) -> None:
        self.dockerd = dockerd
        self.server = server
        self.config = config

    def __call__(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.dockerd.docker(*args, check=check, stdin=stdin, config=self.config)

    def login(self, user: str, secret: str) -> subprocess.CompletedProcess[str]:
        return self(
            "login",
            "--username",
            user,
            "--password-stdin",
            self.server.host,
            stdin=secret,
        )

    def stored_login(self) -> dict[str, str]:
        """What ``docker login`` kept in the client configuration for this server."""
        config = json.loads((self.config / "config.json").read_text())
        stored: dict[str, str] = config["auths"][self.server.host]
        return stored

    def load(self, tmp_path: Path, image: Image, local: str) -> None:
        archive = write_docker_archive(tmp_path / f"{image.digest[7:19]}.tar", image, local)
        assert f"Loaded image: {local}" in self("load", "--input", str(archive)).stdout

    def push(self, reference: str) -> str:
        result = self("push", reference)
        match = re.search(r"digest: (sha256:[0-9a-f]{64}) size: \d+", result.stdout)
        assert match, result.stdout
        return match.group(1)

    def image_id(self, reference: str) -> str:
        image_id: str = self("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip()
        return image_id


def docker_client(dockerd: Dockerd, server: CargoholdServer, tmp_path: Path) -> DockerClient:
    return DockerClient(dockerd, server, tmp_path / "docker-config")


def test_docker_login_keeps_a_refresh_token_and_pushes_and_pulls_with_it(
    dockerd: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    password = "dana-has-a-long-password"
    server.admin.create_user("dana", password)
    server.admin.grant("user:dana", ["dev"], ["read", "write"])
    docker = docker_client(dockerd, server, tmp_path)

    assert "Login Succeeded" in docker.login("dana", password).stdout
    # docker got a refresh token from /v2/token and keeps it instead of the password
    stored = docker.stored_login()
    assert base64.b64decode(stored["auth"]).decode() == "dana:"
    assert password not in (docker.config / "config.json").read_text()
    [refresh] = server.admin.tokens("dana")
    assert refresh["kind"] == "refresh"
    assert stored["identitytoken"].startswith(f"chk_{refresh['id']}_")

    image = make_image([{"hello": b"pushed with a bearer token"}], label="token-docker")
    remote = f"{server.host}/dev/token/docker:1"
    docker.load(tmp_path, image, "local/token-docker:1")
    docker("tag", "local/token-docker:1", remote)
    digest = docker.push(remote)
    assert served_digest(server, "dev/token/docker", "1") == digest
    docker("rmi", "local/token-docker:1", remote)
    assert f"Digest: {digest}" in docker("pull", remote).stdout
    assert docker.image_id(remote) == sha256(image.config)

    # the refresh token is all docker has: revoked, docker is refused at once
    server.admin.revoke(refresh["id"])
    docker("rmi", remote)
    refused = docker("pull", remote, check=False)
    assert refused.returncode != 0
    assert "unauthorized" in refused.stderr.lower(), refused.stderr
    assert "Login Succeeded" in docker.login("dana", password).stdout
    assert f"Digest: {digest}" in docker("pull", remote).stdout


def test_anonymous_docker_pull_needs_a_repository_open_to_anonymous_reads(
    dockerd: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    public = make_image([{"hello": b"anyone may pull this"}], label="token-public")
    private = make_image([{"hello": b"only for those logged in"}], label="token-private")
    server.push("staging/token/public", "1", public)
    server.push("dev/token/private", "1", private)
    docker = docker_client(dockerd, server, tmp_path)  # never logged in

    pulled = docker("pull", f"{server.host}/staging/token/public:1")
    assert f"Digest: {public.digest}" in pulled.stdout
    assert docker.image_id(f"{server.host}/staging/token/public:1") == sha256(public.config)

    refused = docker("pull", f"{server.host}/dev/token/private:1", check=False)
    assert refused.returncode != 0
    assert "unauthorized: authentication required" in refused.stderr, refused.stderr


def test_readme_ci_push_token(dockerd: Dockerd, server: CargoholdServer, tmp_path: Path) -> None:
    admin = server.admin
    admin.create_user("ci-bot", service=True)
    admin.grant("user:ci-bot", ["dev"], ["read", "write"])
    token = admin.create_token("CI", {"dev": ["read", "write"]}, owner="ci-bot")
    assert token.startswith("chk_")
    docker = docker_client(dockerd, server, tmp_path)

    assert "Login Succeeded" in docker.login("ci-bot", token).stdout
    # the API token is the refresh token: docker keeps it, no other token is made
    assert docker.stored_login()["identitytoken"] == token
    assert [t["kind"] for t in admin.tokens("ci-bot")] == ["api"]

    image = make_image([{"app": b"built by CI"}], label="token-ci")
    docker.load(tmp_path, image, "local/token-ci:1")
    for key in ("dev", "prod"):
        docker("tag", "local/token-ci:1", f"{server.host}/{key}/team/app:1.0")
    digest = docker.push(f"{server.host}/dev/team/app:1.0")
    assert served_digest(server, "dev/team/app", "1.0") == digest

    refused = docker("push", f"{server.host}/prod/team/app:1.0", check=False)
    assert refused.returncode != 0
    assert "denied" in refused.stderr, refused.stderr
    assert "may not write repository 'prod'" in refused.stderr, refused.stderr
    assert served_digest(server, "prod/team/app", "1.0") is None


def test_readme_fleet_pull_account(
    dockerd: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    admin = server.admin
    admin.create_user("fleet", "a-long-fleet-password")
    admin.create_group("fleet-pullers", ["fleet"])
    admin.grant("group:fleet-pullers", ["prod"], ["read"])
    release = make_image([{"app": b"release 1.0 for the fleet"}], label="token-fleet")
    server.push("prod/fleet/app", "1.0", release)
    docker = docker_client(dockerd, server, tmp_path)

    assert "Login Succeeded" in docker.login("fleet", "a-long-fleet-password").stdout
    remote = f"{server.host}/prod/fleet/app:1.0"
    assert f"Digest: {release.digest}" in docker("pull", remote).stdout
    assert docker.image_id(remote) == sha256(release.config)

    docker("tag", remote, f"{server.host}/prod/fleet/app:1.1")
    refused = docker("push", f"{server.host}/prod/fleet/app:1.1", check=False)
    assert refused.returncode != 0
    assert "denied" in refused.stderr, refused.stderr
    assert "'fleet'" in refused.stderr, refused.stderr
    assert served_digest(server, "prod/fleet/app", "1.1") is None


# --- skopeo ---------------------------------------------------------------------------------


def token_request(server: CargoholdServer, account: str, name: str, actions: str) -> str:
    """The token request containers/image logs with ``--debug``."""
    scope = f"repository:{name}:{actions}".replace(":", "%3A").replace("/", "%2F")
    scope = scope.replace(",", "%2C")
    return f"GET {server.url}/v2/token?account={account}&scope={scope}&service=cargohold"


@pytest.fixture(scope="module")
def sam(server: CargoholdServer) -> tuple[str, str]:
    """A user who may read and write dev."""
    password = "sam-has-a-long-password"
    server.admin.create_user("sam", password)
    server.admin.grant("user:sam", ["dev"], ["read", "write"])
    return "sam", password


def test_skopeo_copy_and_inspect_with_credentials(
    server: CargoholdServer, sam: tuple[str, str], tmp_path: Path
) -> None:
    skopeo = Skopeo(tmp_path / "skopeo-home")
    creds = ":".join(sam)
    image = make_image([{"hello": b"skopeo with a token"}], label="token-skopeo")
    layout = write_oci_layout(tmp_path / "layout", {"1": image})
    reference = f"docker://{server.host}/dev/token/skopeo:1"

    pushed = skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        creds,
        f"oci:{layout}:1",
        reference,
        global_args=("--debug",),
    )
    assert token_request(server, "sam", "dev/token/skopeo", "pull,push") in pushed.stderr
    assert served_digest(server, "dev/token/skopeo", "1") == image.digest

    inspected = skopeo(
        "inspect", "--tls-verify=false", "--creds", creds, reference, global_args=("--debug",)
    )
    assert json.loads(inspected.stdout)["Digest"] == image.digest
    assert token_request(server, "sam", "dev/token/skopeo", "pull") in inspected.stderr

    pulled = tmp_path / "pulled"
    skopeo("copy", "--src-tls-verify=false", "--src-creds", creds, reference, f"oci:{pulled}:1")
    assert layout_manifest(pulled, "1") == image.manifest

    wrong = skopeo(
        "inspect", "--tls-verify=false", "--creds", "sam:wrong-password", reference, check=False
    )
    assert wrong.returncode != 0
    assert "wrong user name or password" in wrong.stderr, wrong.stderr
    anonymous = skopeo("inspect", "--tls-verify=false", "--no-creds", reference, check=False)
    assert anonymous.returncode != 0
    assert "authentication required" in anonymous.stderr, anonymous.stderr


def test_skopeo_with_an_api_token_as_the_password(
    server: CargoholdServer, sam: tuple[str, str], tmp_path: Path
) -> None:
    skopeo = Skopeo(tmp_path / "skopeo-home")
    sams = server.rest_as(*sam)
    read_only = sams.create_token("read dev", {"dev": ["read"]})
    read_write = sams.create_token("write dev", {"dev": ["read", "write"]})
    image = make_image([{"hello": b"pushed with an API token"}], label="token-api")
    source = f"oci:{write_oci_layout(tmp_path / 'layout', {'1': image})}:1"
    reference = f"docker://{server.host}/dev/token/api:1"

    # sam may write dev, but this token of sam's may only read it
    refused = skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        f"sam:{read_only}",
        source,
        reference,
        check=False,
    )
    assert refused.returncode != 0
    assert "may not write repository 'dev'" in refused.stderr, refused.stderr
    assert served_digest(server, "dev/token/api", "1") is None

    skopeo(
        "copy", "--dest-tls-verify=false", "--dest-creds", f"sam:{read_write}", source, reference
    )
    assert served_digest(server, "dev/token/api", "1") == image.digest
    inspected = skopeo(
        "inspect", "--raw", "--tls-verify=false", "--creds", f"sam:{read_only}", reference
    )
    assert inspected.stdout.encode() == image.manifest


def test_skopeo_with_a_registry_token_alone(
    server: CargoholdServer, sam: tuple[str, str], tmp_path: Path
) -> None:
    skopeo = Skopeo(tmp_path / "skopeo-home")
    image = make_image([{"hello": b"read with a JWT"}], label="token-jwt")
    other = make_image([{"hello": b"not in the token"}], label="token-jwt-other")
    server.push("dev/token/jwt", "1", image)
    server.push("dev/token/other", "1", other)
    jwt = registry_token(server, "repository:dev/token/jwt:pull", sam)
    assert claims(jwt)["sub"] == "sam"
    assert claims(jwt)["access"] == [
        {"type": "repository", "name": "dev/token/jwt", "actions": ["pull"]}
    ]

    raw = skopeo(
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--registry-token",
        jwt,
        f"docker://{server.host}/dev/token/jwt:1",
    )
    assert raw.stdout.encode() == image.manifest

    # the token grants what it names, not everything sam may do
    elsewhere = skopeo(
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--registry-token",
        jwt,
        f"docker://{server.host}/dev/token/other:1",
        check=False,
    )
    assert elsewhere.returncode != 0
    assert "does not grant read on 'dev/token/other'" in elsewhere.stderr, elsewhere.stderr
    source = f"oci:{write_oci_layout(tmp_path / 'layout', {'2': other})}:2"
    push = skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-registry-token",
        jwt,
        source,
        f"docker://{server.host}/dev/token/jwt:2",
        check=False,
    )
    assert push.returncode != 0
    assert "does not grant write on 'dev/token/jwt'" in push.stderr, push.stderr
    assert served_digest(server, "dev/token/jwt", "2") is None

    # this token's claims with the signature of another: refused
    other_jwt = registry_token(server, "repository:dev/token/other:pull", sam)
    forged = jwt.rpartition(".")[0] + "." + other_jwt.rpartition(".")[2]
    bad = skopeo(
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--registry-token",
        forged,
        f"docker://{server.host}/dev/token/jwt:1",
        check=False,
    )
    assert bad.returncode != 0
    assert "unauthorized" in bad.stderr, bad.stderr


# --- podman ---------------------------------------------------------------------------------


def test_podman_login_push_and_pull(
    server: CargoholdServer, sam: tuple[str, str], tmp_path: Path
) -> None:
    podman = Podman(tmp_path)
    try:
        user, password = sam
        image = make_image([{"podman": b"podman with a token"}], label="token-podman")
        archive = write_docker_archive(tmp_path / "image.tar", image, "local/token-podman:1")
        reference = f"{server.host}/dev/token/podman:1"

        login = podman(
            "--log-level=debug",
            "login",
            "--tls-verify=false",
            "-u",
            user,
            "--password-stdin",
            server.host,
            stdin=password,
        )
        assert f"GET {server.url}/v2/token?account={user}&service=cargohold" in login.stderr
        podman("load", "-i", str(archive))
        podman("tag", "local/token-podman:1", reference)
        pushed = podman("--log-level=debug", "push", "--tls-verify=false", reference)
        assert token_request(server, user, "dev/token/podman", "pull,push") in pushed.stderr
        assert served_digest(server, "dev/token/podman", "1") is not None

        podman("rmi", "-a", "-f")
        podman("pull", "--tls-verify=false", reference)
        image_id = podman("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip()
        assert "sha256:" + image_id == sha256(image.config)

        podman("logout", server.host)
        podman("rmi", "-a", "-f")
        anonymous = podman("pull", "--tls-verify=false", reference, check=False)
        assert anonymous.returncode != 0
        assert "authentication required" in anonymous.stderr, anonymous.stderr
    finally:
        podman.close()


# --- oras -----------------------------------------------------------------------------------


class OrasHome:
    """An oras SDK client of the token backend with a home (docker config) of its own."""

    def __init__(
        self, server: CargoholdServer, home: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOME", str(home))  # the SDK also reads ~/.docker/config.json
        monkeypatch.delenv("DOCKER_CONFIG", raising=False)
        self.server = server
        self.config = home / "config.json"
        self.client: Any = oras.client.OrasClient(
            hostname=server.host, insecure=True, auth_backend="token"
        )

    def login(self, user: str, secret: str) -> None:
        status = self.client.login(
            username=user,
            password=secret,
            hostname=self.server.host,
            config_path=str(self.config),
        )
        assert status == {"Status": "Login Succeeded"}

    def push(self, name: str, tmp_path: Path, content: bytes) -> int:
        """``oras push`` of one file; the status of the manifest PUT."""
        artifact = tmp_path / "artifact.txt"
        artifact.write_bytes(content)
        response = self.client.push(
            target=f"{self.server.host}/{name}",
            files=[str(artifact)],
            disable_path_validation=True,
            config_path=str(self.config),
            quiet=True,
        )
        return int(response.status_code)

    def pull(self, name: str, out: Path) -> list[bytes]:
        files: list[str] = self.client.pull(
            target=f"{self.server.host}/{name}", outdir=str(out), config_path=str(self.config)
        )
        return [Path(file).read_bytes() for file in files]


def push_artifact(server: CargoholdServer, name: str, tmp_path: Path, content: bytes) -> None:
    """An artifact pushed with the SDK's basic backend (HTTP Basic sent straight to /v2)."""
    client: Any = oras.client.OrasClient(hostname=server.host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth(ADMIN_USER, ADMIN_PASSWORD)
    tmp_path.mkdir(parents=True, exist_ok=True)
    artifact = tmp_path / "artifact.txt"
    artifact.write_bytes(content)
    response = client.push(
        target=f"{server.host}/{name}",
        files=[str(artifact)],
        disable_path_validation=True,
        quiet=True,
    )
    assert response.status_code == 201, response.text


def test_oras_token_backend_pulls_logged_in_and_anonymously(
    server: CargoholdServer, sam: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_artifact(server, "dev/token/oras-private:1", tmp_path / "private", b"private artifact")
    push_artifact(server, "staging/token/oras-public:1", tmp_path / "public", b"public artifact")

    logged_in = OrasHome(server, tmp_path / "sam", monkeypatch)
    logged_in.login(*sam)
    assert logged_in.pull("dev/token/oras-private:1", tmp_path / "out1") == [b"private artifact"]
    assert claims(logged_in.client.auth.token)["sub"] == "sam"

    anonymous = OrasHome(server, tmp_path / "nobody", monkeypatch)
    assert anonymous.pull("staging/token/oras-public:1", tmp_path / "out2") == [b"public artifact"]
    with pytest.raises(ValueError, match="Unauthorized"):
        anonymous.pull("dev/token/oras-private:1", tmp_path / "out3")
    # the SDK asked for an anonymous token, and got one that grants nothing on dev
    assert claims(anonymous.client.auth.token)["sub"] == ""
    assert claims(anonymous.client.auth.token)["access"] == [
        {"type": "repository", "name": "dev/token/oras-private", "actions": []}
    ]
