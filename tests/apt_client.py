"""The real apt, isolated in a folder of its own: its configuration, sources, keys,
credentials, lists and cache live there, and nothing of the machine's apt is read or
written (``APT_CONFIG`` is read before ``/etc/apt/apt.conf.d``, whose hooks it replaces)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


class Apt:
    def __init__(self, root: Path) -> None:
        self.root = root
        etc = root / "etc"
        for folder in (
            etc / "apt.conf.d",
            etc / "sources.list.d",
            etc / "preferences.d",
            etc / "trusted.gpg.d",
            etc / "auth.conf.d",
            root / "state" / "lists" / "partial",
            root / "cache" / "archives" / "partial",
            root / "log",
            root / "downloads",
        ):
            folder.mkdir(parents=True, exist_ok=True)
        (root / "state" / "status").touch()
        settings = {
            "Dir::Etc::Parts": etc / "apt.conf.d",
            "Dir::Etc::Main": "/dev/null",
            "Dir::Etc::SourceList": etc / "sources.list",
            "Dir::Etc::SourceParts": etc / "sources.list.d",
            "Dir::Etc::Preferences": "/dev/null",
            "Dir::Etc::PreferencesParts": etc / "preferences.d",
            "Dir::Etc::Trusted": "/dev/null",
            "Dir::Etc::TrustedParts": etc / "trusted.gpg.d",
            "Dir::Etc::netrc": "/dev/null",
            "Dir::Etc::netrcparts": etc / "auth.conf.d",
            "Dir::State": root / "state",
            "Dir::State::status": root / "state" / "status",
            "Dir::Cache": root / "cache",
            "Dir::Log": root / "log",
            "APT::Architecture": "amd64",
            "APT::Sandbox::User": "root",
            "Acquire::Languages": "none",
            "Acquire::Retries": "0",
        }
        lines = [f'{name} "{value}";' for name, value in settings.items()]
        lines.append('APT::Architectures { "amd64"; };')
        (root / "apt.conf").write_text("\n".join(lines) + "\n")

    def source(self, url: str, distribution: str, component: str, key: bytes) -> None:
        """Use the repository at ``url`` with the armored ``key``, replacing any other."""
        keyfile = self.root / "etc" / "repository.asc"
        keyfile.write_bytes(key)
        (self.root / "etc" / "sources.list").write_text(
            f"deb [signed-by={keyfile}] {url} {distribution} {component}\n"
        )

    def login(self, host: str, user: str, password: str) -> None:
        """Credentials for ``host`` (``http://127.0.0.1:PORT``), as in /etc/apt/auth.conf.d."""
        (self.root / "etc" / "auth.conf.d" / "cargohold.conf").write_text(
            f"machine {host} login {user} password {password}\n"
        )

    def run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "APT_CONFIG": str(self.root / "apt.conf"), "LC_ALL": "C"}
        done = subprocess.run(
            ["apt-get", *arguments],
            check=False,
            env=env,
            cwd=self.root / "downloads",
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def update(self, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``apt-get update`` from scratch (no lists kept from a previous one)."""
        lists = self.root / "state" / "lists"
        shutil.rmtree(lists)
        (lists / "partial").mkdir(parents=True)
        return self.run("update", "--error-on=any", check=check)

    def policy(self, package: str) -> str:
        env = {**os.environ, "APT_CONFIG": str(self.root / "apt.conf"), "LC_ALL": "C"}
        return subprocess.run(
            ["apt-cache", "policy", package],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    def downloaded(self, filename: str) -> bytes:
        return (self.root / "downloads" / filename).read_bytes()


__all__ = ["Apt"]
