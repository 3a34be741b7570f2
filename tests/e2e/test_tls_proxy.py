"""cargohold behind nginx terminating TLS, configured by the README's own nginx block: docker
logs in, pushes and pulls through it, and the token realm says ``https://`` with the proxy's
host and port because cargohold trusts the proxy (``CARGOHOLD_TRUSTED_PROXIES``). The same
proxy connecting from an address cargohold does not trust gets the ``http://`` realm behind
which ``docker login`` fails: the bug trusted proxies fix.

The certificate is for 127.0.0.1, from a CA the test makes; httpx verifies it against that
CA. dockerd treats 127.0.0.0/8 as an insecure registry whatever its configuration (it then
skips certificate verification and reads no certs.d), so docker's own verification cannot be
shown on loopback; what docker shows here is that every URL it is sent to is the proxy's.
"""

from __future__ import annotations

import re
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.cluster import Nginx, nginx_conf
from tests.images import make_image, write_docker_archive
from tests.readme import blocks
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd, free_port
from tests.tls import PrivateCA

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
UNTRUSTED_PEER = "127.0.0.2"  # where the second site connects to cargohold from
_REALM = re.compile(r'realm="([^"]*)"')


@dataclass(frozen=True)
class Pki:
    ca: Path
    certificate: Path
    key: Path

    def trust(self) -> ssl.SSLContext:
        """What a client that trusts only the test CA verifies with."""
        return ssl.create_default_context(cafile=str(self.ca))


def make_pki(directory: Path) -> Pki:
    """A CA of the test's own and a server certificate it signs for IP 127.0.0.1."""
    ca = PrivateCA(directory)
    pki = Pki(ca.ca_path, directory / "server.crt", directory / "server.key")
    ca.issue(pki.certificate, pki.key, common_name="127.0.0.1")
    return pki


def readme_site(pki: Pki, port: int, upstream: str, bind: str | None = None) -> str:
    """The README's nginx block, on a loopback port with the test's certificate, proxying
    to ``upstream`` (from address ``bind``, if given)."""
    nginx = [block for block in blocks(README.read_text()) if block.lang == "nginx"]
    assert nginx, "the README has no nginx block"
    site = "\n".join(nginx[0].body) + "\n"
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/nginx/tls/registry.crt": str(pki.certificate),
        "/etc/nginx/tls/registry.key": str(pki.key),
        "proxy_pass http://127.0.0.1:5000;": f"proxy_pass http://{upstream};"
        + (f"\n        proxy_bind {bind};" if bind else ""),
    }
    for old, new in replacements.items():
        assert old in site, f"the README's nginx block no longer has {old!r}"
        site = site.replace(old, new)
    return site


@dataclass
class TlsProxy(Nginx):
    """nginx with the README's site twice: ``port`` connects to cargohold from 127.0.0.1
    (trusted), ``untrusted_port`` from 127.0.0.2."""

    pki: Pki | None = None
    untrusted_port: int = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        assert self.pki is not None
        upstream = self.upstreams[0]
        sites = readme_site(self.pki, self.port, upstream) + readme_site(
            self.pki, self.untrusted_port, upstream, bind=UNTRUSTED_PEER
        )
        return nginx_conf(self.root, sites, workers=1, connections=256)

    def verify(self) -> ssl.SSLContext:
        assert self.pki is not None
        return self.pki.trust()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    running = CargoholdServer(
        tmp_path_factory.mktemp("behind-proxy") / "data",
        workers=1,
        env={"CARGOHOLD_TRUSTED_PROXIES": "127.0.0.1/32"},
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def proxy(pki: Pki, backend: CargoholdServer) -> Iterator[TlsProxy]:
    root = Path(tempfile.mkdtemp(prefix="cargohold-tls-"))
    running = TlsProxy([backend.host], root=root, pki=pki, untrusted_port=free_port()).start()
    yield running
    running.stop()


def realm(pki: Pki, port: int) -> str:
    with httpx.Client(verify=pki.trust()) as http:
        response = http.get(f"https://127.0.0.1:{port}/v2/")
    assert response.status_code == 401
    match = _REALM.search(response.headers["WWW-Authenticate"])
    assert match, response.headers
    return match.group(1)


def test_the_realm_follows_a_trusted_proxy_only(pki: Pki, proxy: TlsProxy) -> None:
    assert realm(pki, proxy.port) == f"https://127.0.0.1:{proxy.port}/v2/token"
    # From an address cargohold does not trust, the forwarded headers are ignored: the realm
    # is the plain URL nginx reached, which docker cannot log in at through the TLS port.
    assert realm(pki, proxy.untrusted_port) == f"http://127.0.0.1:{proxy.untrusted_port}/v2/token"


def test_docker_login_push_pull_through_the_tls_proxy(
    dockerd: Dockerd, proxy: TlsProxy, tmp_path: Path
) -> None:
    config = tmp_path / "docker-config"  # this test's logins only
    config.mkdir()
    host = f"127.0.0.1:{proxy.port}"

    untrusted = f"127.0.0.1:{proxy.untrusted_port}"
    failed = dockerd.docker(
        "login", "-u", ADMIN_USER, "--password-stdin", untrusted,
        stdin=ADMIN_PASSWORD, config=config, check=False,
    )  # fmt: skip
    assert failed.returncode != 0, failed.stdout
    # docker followed the http:// realm to the TLS port, as without trusted proxies.
    assert "plain HTTP request was sent to HTTPS port" in failed.stderr, failed.stderr

    login = dockerd.docker(
        "login", "-u", ADMIN_USER, "--password-stdin", host, stdin=ADMIN_PASSWORD, config=config
    )
    assert "Login Succeeded" in login.stdout

    image = make_image([{"tls": b"through nginx" * 1000}, {"two": b"second layer"}])
    reference = f"{host}/dev/proxied/app:1.0"
    archive = write_docker_archive(tmp_path / "image.tar", image, reference)
    dockerd.docker("load", "--input", str(archive), config=config)
    pushed = dockerd.docker("push", reference, config=config)
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed.stdout)
    assert digest, pushed.stdout

    dockerd.docker("rmi", reference, config=config)
    pulled = dockerd.docker("pull", reference, config=config)
    assert digest.group(1) in pulled.stdout
    assert proxy.pki is not None
    with httpx.Client(verify=proxy.pki.trust()) as http:
        manifest = http.get(
            f"https://{host}/v2/dev/proxied/app/manifests/1.0",
            auth=(ADMIN_USER, ADMIN_PASSWORD),
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
    assert manifest.headers["Docker-Content-Digest"] == digest.group(1)
    dockerd.docker("rmi", reference, config=config, check=False)
