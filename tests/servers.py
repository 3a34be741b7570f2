"""Real processes for end-to-end tests: the cargohold server and dockerd, each started on
loopback or a private socket and stopped by its PID; and what an administrator does to a
running server through its REST API."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from tests.images import OCI_MANIFEST, Image, sha256

ADMIN_USER = "admin"
ADMIN_PASSWORD = "e2e-secret-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def push_plainly(http: httpx.Client, name: str, tag: str, image: Image) -> None:
    """``image`` pushed as ``name:tag`` through ``http``: each blob in one request, then the
    manifest; every step must succeed."""
    for blob in image.blobs:
        stored = http.post(
            f"/v2/{name}/blobs/uploads/", params={"digest": sha256(blob)}, content=blob
        )
        assert stored.status_code == 201, stored.text
    pushed = http.put(
        f"/v2/{name}/manifests/{tag}",
        content=image.manifest,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert pushed.status_code == 201, pushed.text


def stored_digests(data_dir: Path) -> set[str]:
    """The digests of the blobs in a data directory's (or a backup's) blob store."""
    found = (data_dir / "storage" / "blobs" / "sha256").rglob("*")
    return {f"sha256:{p.name}" for p in found if p.is_file()}


def child_pids(parent: int) -> set[int]:
    """The live processes whose parent is ``parent`` (a server's workers), from /proc; a
    zombie serves nothing and is left out."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == parent and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    """Return once ``condition()`` holds; fail saying ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def cargohold_command() -> list[str]:
    return [sys.executable, "-m", "cargohold.cli.main"]


@dataclass
class CargoholdServer:
    data_dir: Path
    port: int = field(default_factory=free_port)
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    umask: int | None = None  # the server's umask, if not the tests' own
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    tls_ca: Path | None = None  # serving HTTPS (--tls-cert in args): the CA to trust
    args: tuple[str, ...] = ()  # more options for cargohold serve

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_ca else 'http'}://{self.host}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What httpx verifies the server's certificate with."""
        return ssl.create_default_context(cafile=str(self.tls_ca)) if self.tls_ca else True

    def start(self, timeout: float = 30, *, wait: bool = True) -> CargoholdServer:
        """Start the server and wait until it answers (``wait``: else ``wait_ready`` later,
        as for several nodes started at the same moment)."""
        self.log_path = self.data_dir.parent / f"cargohold-{self.port}.log"
        env = {
            **os.environ,
            "CARGOHOLD_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CARGOHOLD_WORKERS": str(self.workers),
            # The tests' webhook receivers listen on loopback.
            "CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            **self.env,
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    *cargohold_command(),
                    "serve",
                    "--listen",
                    self.host,
                    "--data-dir",
                    str(self.data_dir),
                    *self.args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                umask=-1 if self.umask is None else self.umask,
            )
        return self.wait_ready(timeout) if wait else self

    def wait_ready(self, timeout: float = 30) -> CargoholdServer:
        """Wait until the started server answers its health check."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cargohold exited early:\n{self.log()}")
            try:
                health = httpx.get(f"{self.url}/api/v1/health", timeout=1, verify=self.verify)
                if health.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"cargohold did not start in {timeout}s:\n{self.log()}")

    @property
    def admin(self) -> RestApi:
        """The REST API as the bootstrap admin."""
        return RestApi(self.url)

    def rest_as(self, user: str, secret: str) -> RestApi:
        return RestApi(self.url, (user, secret))

    def push(
        self,
        name: str,
        tag: str,
        image: Image,
        auth: tuple[str, str] = (ADMIN_USER, ADMIN_PASSWORD),
    ) -> None:
        """``image`` pushed as ``name:tag`` the plain way (each blob in one request, then the
        manifest), for tests that need an image there rather than a client's push."""
        with httpx.Client(base_url=self.url, auth=auth, timeout=30) as http:
            push_plainly(http, name, tag, image)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill9(self) -> None:
        """Kill the server and all its workers at once, as a crash would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # workers that outlived the parent
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None
        return code


@dataclass(frozen=True)
class RestApi:
    """``/api/v1`` as one caller (the bootstrap admin unless told otherwise), the way an
    administrator sets a server up; every call checks it got the status it expects."""

    url: str
    auth: tuple[str, str] = (ADMIN_USER, ADMIN_PASSWORD)

    def call(
        self, method: str, path: str, expect: int, body: dict[str, Any] | list[Any] | None = None
    ) -> Any:
        response = httpx.request(
            method, f"{self.url}/api/v1{path}", json=body, auth=self.auth, timeout=30
        )
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def allow_anonymous_read(self, *keys: str) -> None:
        for key in keys:
            updated = self.call("PATCH", f"/repositories/{key}", 200, {"anonymousRead": True})
            assert updated["anonymousRead"] is True

    def create_user(self, name: str, password: str | None = None, *, service: bool = False) -> None:
        body: dict[str, Any] = {"name": name, "service": service}
        if password is not None:
            body["password"] = password
        self.call("POST", "/users", 201, body)

    def create_group(self, name: str, members: list[str]) -> None:
        self.call("POST", "/groups", 201, {"name": name, "members": members})

    def grant(self, principal: str, repositories: list[str], actions: list[str]) -> str:
        body = {"principal": principal, "repositories": repositories, "actions": actions}
        permission_id: str = self.call("POST", "/permissions", 201, body)["id"]
        return permission_id

    def create_token(
        self, description: str, scopes: dict[str, list[str]], owner: str | None = None
    ) -> str:
        """An API token narrowed to ``{repository: actions}``, of ``owner`` or else of the
        caller; its secret, shown this once."""
        body: dict[str, Any] = {
            "description": description,
            "scopes": [{"repository": r, "actions": a} for r, a in scopes.items()],
        }
        if owner is not None:
            body["owner"] = owner
        secret: str = self.call("POST", "/tokens", 201, body)["token"]
        return secret

    def tokens(self, owner: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.call("GET", f"/tokens?owner={owner}", 200)["items"]
        return items

    def revoke(self, token_id: str) -> None:
        self.call("DELETE", f"/tokens/{token_id}", 204)


@dataclass
class Dockerd:
    root: Path
    process: subprocess.Popen[bytes] | None = None
    _log: BinaryIO | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.root}/docker.sock"

    def start(self, timeout: float = 60) -> Dockerd:
        binary = shutil.which("dockerd")
        if binary is None:
            raise RuntimeError("dockerd is not installed (Debian package docker.io)")
        self.root.mkdir(parents=True, exist_ok=True)
        self._log = open(self.root / "dockerd.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                binary,
                "--storage-driver=vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                f"--data-root={self.root}/data",
                f"--exec-root={self.root}/exec",
                f"--pidfile={self.root}/docker.pid",
                "-H",
                self.host,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "dockerd exited early: " + (self.root / "dockerd.log").read_text()
                )
            if self.docker("info", check=False).returncode == 0:
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("dockerd did not start")

    def docker(
        self,
        *args: str,
        check: bool = True,
        stdin: str | None = None,
        config: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The docker CLI; ``config`` is a client configuration directory of its own (its
        logins), as on another machine, instead of the one the session shares."""
        client = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"
        env = {
            **os.environ,
            "DOCKER_HOST": self.host,
            "DOCKER_CONFIG": str(config or self.root / "config"),
        }
        result = subprocess.run(
            [client, *args],
            capture_output=True,
            text=True,
            env=env,
            input=stdin,
            timeout=300,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
        subprocess.run(["umount", "-R", str(self.root / "exec")], capture_output=True, check=False)


__all__ = ["ADMIN_PASSWORD", "ADMIN_USER", "CargoholdServer", "Dockerd", "RestApi", "free_port"]
