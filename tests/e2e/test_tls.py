"""HTTPS served directly (``--tls-cert``/``--tls-key``) with a certificate from a CA the test
makes: curl, httpx, docker and skopeo talk to it, blobs download whole over TLS (no kernel
sendfile there), the token realm says https, and SIGHUP puts a renewed certificate in use
without dropping a connection, keeping the old one when the new files cannot be read."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.clients import Skopeo
from tests.images import make_image, sha256, write_docker_archive, write_oci_layout
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd, wait_for
from tests.tls import PrivateCA, served_serial

pytestmark = pytest.mark.e2e
AUTH = (ADMIN_USER, ADMIN_PASSWORD)
NAME = "dev/tls/app"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    return PrivateCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, ca: PrivateCA
) -> Iterator[CargoholdServer]:
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "server.crt", root / "server.key"
    ca.issue(cert, key)
    server = CargoholdServer(
        root / "data", tls_ca=ca.ca_path, args=("--tls-cert", str(cert), "--tls-key", str(key))
    ).start()
    yield server
    server.stop()


def test_curl_sees_https_and_an_https_token_realm(
    tls_server: CargoholdServer, ca: PrivateCA
) -> None:
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "--cacert",
            str(ca.ca_path),
            "-D",
            "-",
            "-o",
            "/dev/null",
            f"{tls_server.url}/v2/",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.startswith("HTTP/1.1 401")
    assert f'realm="https://{tls_server.host}/v2/token"' in result.stdout
    assert "cargohold listening on https://" in tls_server.log()
    with pytest.raises(httpx.HTTPError):  # no plain HTTP on the HTTPS port
        httpx.get(f"http://{tls_server.host}/api/v1/health", timeout=5)


def test_blobs_go_both_ways_over_https(tls_server: CargoholdServer) -> None:
    blob = os.urandom(5 * 1024 * 1024 + 11)
    digest = sha256(blob)
    with httpx.Client(
        base_url=tls_server.url, auth=AUTH, verify=tls_server.verify, timeout=60
    ) as http:
        stored = http.post(f"/v2/{NAME}/blobs/uploads/", params={"digest": digest}, content=blob)
        assert stored.status_code == 201, stored.text
        for _ in range(2):  # twice on one connection: it stays usable after a file
            got = http.get(f"/v2/{NAME}/blobs/{digest}")
            assert got.status_code == 200
            assert sha256(got.content) == digest
        tail = http.get(f"/v2/{NAME}/blobs/{digest}", headers={"Range": "bytes=4000000-"})
        assert tail.status_code == 206
        assert tail.content == blob[4_000_000:]


def test_docker_logs_in_and_pushes_over_https(
    tls_server: CargoholdServer, dockerd: Dockerd, tmp_path: Path
) -> None:
    config = tmp_path / "docker-config"
    login = ["login", "--username", ADMIN_USER, "--password-stdin", tls_server.host]
    dockerd.docker(*login, stdin=ADMIN_PASSWORD, config=config)
    image = make_image([{"tls": b"pushed over https"}], label="tls")
    archive = write_docker_archive(tmp_path / "image.tar", image, "local/tls:1")
    dockerd.docker("load", "--input", str(archive), config=config)
    dockerd.docker("tag", "local/tls:1", f"{tls_server.host}/{NAME}:docker", config=config)
    dockerd.docker("push", f"{tls_server.host}/{NAME}:docker", config=config)
    with httpx.Client(base_url=tls_server.url, auth=AUTH, verify=tls_server.verify) as http:
        assert http.get(f"/v2/{NAME}/tags/list").json()["tags"] == ["docker"]
    # the token came from the realm over https; the push is logged with its principal
    assert f'{ADMIN_USER} "PUT /v2/{NAME}/manifests/docker"' in tls_server.log()


def test_skopeo_verifies_the_certificate(
    tls_server: CargoholdServer, ca: PrivateCA, tmp_path: Path
) -> None:
    skopeo = Skopeo(tmp_path / "skopeo")
    layout = write_oci_layout(tmp_path / "layout", {"1": make_image([{"skopeo": b"tls"}])})
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.crt").write_bytes(ca.ca_path.read_bytes())
    target = f"docker://{tls_server.host}/{NAME}:skopeo"
    creds = f"{ADMIN_USER}:{ADMIN_PASSWORD}"
    untrusted = skopeo("copy", "--dest-creds", creds, f"oci:{layout}:1", target, check=False)
    assert untrusted.returncode != 0
    assert "certificate" in untrusted.stderr
    skopeo("copy", "--dest-cert-dir", str(certs), "--dest-creds", creds, f"oci:{layout}:1", target)
    inspected = skopeo("inspect", "--cert-dir", str(certs), "--creds", creds, target)
    assert '"Name"' in inspected.stdout


def test_sighup_puts_a_renewed_certificate_in_use(
    tls_server: CargoholdServer, ca: PrivateCA
) -> None:
    assert tls_server.process is not None
    parent = tls_server.process.pid
    context = ca.client_context()
    cert, key = (Path(tls_server.args[i]) for i in (1, 3))
    before = served_serial(tls_server.port, context)
    open_before = http.client.HTTPSConnection("127.0.0.1", tls_server.port, context=context)
    open_before.request("GET", "/api/v1/health")
    assert open_before.getresponse().read() == b'{"status":"ok"}'

    renewed = ca.issue(cert, key, common_name="cargohold renewed")
    assert renewed != before
    os.kill(parent, signal.SIGHUP)
    wait_for(  # the server process (for workers it starts later) and both workers
        lambda: tls_server.log().count("reloaded the TLS certificate") == 3,
        "not every process reloaded the certificate",
    )
    wait_for(
        lambda: all(served_serial(tls_server.port, context) == renewed for _ in range(6)),
        "the renewed certificate is not served",
    )
    socket_before = open_before.sock
    open_before.request("GET", "/api/v1/health")  # the connection made before is still there
    assert open_before.getresponse().read() == b'{"status":"ok"}'
    assert open_before.sock is socket_before
    open_before.close()

    cert.write_text("-----BEGIN CERTIFICATE-----\nhalf written\n")
    os.kill(parent, signal.SIGHUP)
    wait_for(lambda: "keeping the certificate in use" in tls_server.log(), "no error logged")
    assert all(served_serial(tls_server.port, context) == renewed for _ in range(6))
    assert tls_server.process.poll() is None
