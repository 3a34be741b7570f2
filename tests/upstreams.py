"""Upstream registries for the tests of remote repositories, started on loopback: Debian's
``docker-registry`` (CNCF distribution) open to all, behind HTTP Basic auth (an htpasswd
file), or as a pull-through cache of another registry (its proxy mode); and
:class:`~tests.fault_proxy.FaultProxy`, put in front of one to make it misbehave.

A registry counts what it was asked from its access log (one line per request, in the
combined log format), so a test can say how many times the upstream was asked for a blob.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import httpx

from tests.fault_proxy import Exchange, FaultProxy
from tests.images import OCI_MANIFEST, Image, sha256
from tests.servers import free_port, wait_for

HOST = "127.0.0.1"
# 127.0.0.1 - - [07/Dec/2026:16:58:41 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
_ACCESS = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3}) (\d+|-) ')


@dataclass(frozen=True)
class Access:
    """One line of a registry's access log."""

    method: str
    path: str  # without the query
    status: int
    size: int  # body bytes sent


@dataclass
class DockerRegistry:
    """``docker-registry serve`` on a free loopback port, its configuration, data and log under
    ``root``; stopped by its PID (its own process group).

    ``users``: HTTP Basic auth with these names and passwords (bcrypt htpasswd), else anyone
    pushes and pulls. ``proxy``: the URL of a registry this one is a pull-through cache of
    (distribution's ``proxy.remoteurl``; it then refuses pushes), with ``proxy_credentials``
    to log in there (distribution follows only a token challenge of the upstream with them,
    not Basic; and on a cold blob it asks the upstream twice: once for the bytes it streams to
    the client, once for those it stores)."""

    root: Path
    users: dict[str, str] | None = None
    proxy: str | None = None
    proxy_credentials: tuple[str, str] | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def log_path(self) -> Path:
        return self.root / "registry.log"

    def start(self, timeout: float = 30) -> DockerRegistry:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError("docker-registry is missing (Debian package docker-registry)")
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(self._config())
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [binary, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = self.process

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"docker-registry exited early:\n{self.log()}")
            try:
                return httpx.get(f"{self.url}/v2/", timeout=1).status_code in (200, 401)
            except httpx.TransportError:
                return False

        wait_for(answers, f"docker-registry did not start:\n{self.log()}", timeout)
        return self

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: false",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.root / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.host}",
        ]
        if self.users is not None:
            htpasswd = self.root / "htpasswd"
            htpasswd.write_text(
                "".join(
                    f"{name}:{bcrypt.hashpw(secret.encode(), bcrypt.gensalt(4)).decode()}\n"
                    for name, secret in self.users.items()
                )
            )
            lines += ["auth:", "  htpasswd:", "    realm: upstream", f"    path: {htpasswd}"]
        if self.proxy is not None:
            lines += ["proxy:", f"  remoteurl: {self.proxy}"]
            if self.proxy_credentials is not None:
                user, secret = self.proxy_credentials
                lines += [f"  username: {user}", f"  password: {secret}"]
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def accesses(self) -> list[Access]:
        """Every request answered so far, in order (a line is written once the answer is)."""
        found = []
        for line in self.log().splitlines():
            match = _ACCESS.match(line)
            if match:
                method, target, status, size = match.groups()
                path = target.split("?", 1)[0]
                found.append(Access(method, path, int(status), 0 if size == "-" else int(size)))
        return found

    def requests(self, path_regex: str, method: str | None = None) -> int:
        """How many answered requests had a path (without the query) matching ``path_regex``
        as a whole, of ``method`` if given."""
        pattern = re.compile(path_regex)
        return sum(
            1
            for a in self.accesses()
            if pattern.fullmatch(a.path) and (method is None or a.method == method)
        )

    def holds(self, digest: str) -> bool:
        """Whether the blob is in this registry's own store (a pull-through cache stores a
        blob after it has sent it)."""
        hexdigest = digest.removeprefix("sha256:")
        blobs = self.root / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256"
        return (blobs / hexdigest[:2] / hexdigest / "data").is_file()

    def client(self, auth: tuple[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=auth, timeout=30)


def push_image(http: httpx.Client, name: str, tag: str, image: Image) -> None:
    """``image`` pushed as ``name:tag`` through ``http`` the way every registry takes it (a
    ``POST`` opening an upload, a ``PUT ?digest=`` with the whole blob, then the manifest),
    docker-registry included, which does not take a blob in the ``POST`` alone."""
    for blob in image.blobs:
        opened = http.post(f"/v2/{name}/blobs/uploads/")
        assert opened.status_code == 202, opened.text
        location = httpx.URL(opened.headers["location"])
        stored = http.put(
            location,
            params=location.params.set("digest", sha256(blob)),
            content=blob,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert stored.status_code == 201, stored.text
    pushed = http.put(
        f"/v2/{name}/manifests/{tag}",
        content=image.manifest,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert pushed.status_code == 201, pushed.text


__all__ = ["Access", "DockerRegistry", "Exchange", "FaultProxy", "push_image"]
