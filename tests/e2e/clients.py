"""skopeo and podman, run as a user runs them, each with its own configuration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

CREDS = f"{ADMIN_USER}:{ADMIN_PASSWORD}"


class Skopeo:
    """The skopeo CLI with a private home: its own auth file, trust policy and registries."""

    def __init__(self, home: Path) -> None:
        binary = shutil.which("skopeo")
        if binary is None:
            raise AssertionError("skopeo is not installed (Debian package skopeo)")
        self.binary = binary
        self.home = home
        self.authfile = home / "auth.json"
        self.policy = home / "policy.json"
        self.registries_d = home / "registries.d"
        for directory in (home / "run", home / "config", self.registries_d):
            directory.mkdir(parents=True, exist_ok=True)
        self.authfile.write_text(json.dumps({"auths": {}}))
        self.policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
        (home / "registries.conf").write_text("")

    def __call__(
        self, command: str, *args: str, check: bool = True, global_args: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        argv = [
            self.binary,
            "--policy",
            str(self.policy),
            "--registries.d",
            str(self.registries_d),
            *global_args,
            command,
            "--authfile",
            str(self.authfile),
            *args,
        ]
        env = {
            **os.environ,
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.home / "run"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "CONTAINERS_REGISTRIES_CONF": str(self.home / "registries.conf"),
            "REGISTRY_AUTH_FILE": str(self.authfile),
        }
        result = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=300, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"skopeo {command} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def push(self, source: str, server: CargoholdServer, name: str, *extra: str) -> None:
        self(
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            CREDS,
            *extra,
            source,
            f"docker://{server.host}/{name}",
        )

    def raw_manifest(self, server: CargoholdServer, reference: str) -> bytes:
        """``skopeo inspect --raw``, anonymously (see ``anonymous_reads``)."""
        result = self(
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--no-creds",
            f"docker://{server.host}/{reference}",
        )
        return result.stdout.encode()


def layout_blob(directory: Path, digest: str) -> bytes:
    return (directory / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def layout_manifest(directory: Path, tag: str) -> bytes:
    """The manifest bytes an OCI layout holds under ``tag``."""
    index = json.loads((directory / "index.json").read_text())
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return layout_blob(directory, entry["digest"])
    raise AssertionError(f"tag {tag} not in {directory}: {index}")


class Podman:
    """The podman CLI with vfs storage in a private root and an auth file of its own."""

    def __init__(self, home: Path) -> None:
        binary = shutil.which("podman")
        assert binary, "podman is not installed (Debian package podman)"
        self.binary = binary
        self.state = Path(tempfile.mkdtemp(prefix="chpm"))  # a run root of <= 50 chars
        self.authfile = home / "auth.json"
        self.authfile.write_text("{}")
        self.env = {**os.environ, "REGISTRY_AUTH_FILE": str(self.authfile), "HOME": str(home)}

    def __call__(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [
                self.binary,
                "--root",
                str(self.state / "root"),
                "--runroot",
                str(self.state / "run"),
                "--storage-driver",
                "vfs",
                *args,
            ],
            capture_output=True,
            text=True,
            env=self.env,
            input=stdin,
            timeout=300,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}:\n{result.stdout}\n{result.stderr}")
        return result

    def close(self) -> None:
        self("rmi", "-a", "-f", check=False)
        shutil.rmtree(self.state, ignore_errors=True)
