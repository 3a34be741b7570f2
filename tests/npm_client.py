"""The npm CLI as the end-to-end tests run it: its own HOME, user config and cache in a
temporary directory, the registry always on loopback (never the public one), and ``npm
login`` driven through a pseudo-terminal, where it reads the user name and password."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

TIMEOUT = 120.0


class NpmClient:
    def __init__(self, home: Path, registry: str) -> None:
        self.home = home
        self.registry = registry.rstrip("/") + "/"
        self.userconfig = home / ".npmrc"
        home.mkdir(parents=True, exist_ok=True)
        self.write_config({})

    def nerfed(self, url: str) -> str:
        """npm's key for a registry's credentials: ``//host:port/path/``."""
        return "//" + url.split("://", 1)[1].rstrip("/") + "/"

    def write_config(
        self, credentials: dict[str, tuple[str, str]], path: Path | None = None
    ) -> None:
        """The user config: the default registry, and Basic credentials per registry URL."""
        lines = [
            f"registry={self.registry}",
            "update-notifier=false",
            "fund=false",
            "loglevel=warn",
        ]
        for url, (user, secret) in credentials.items():
            token = base64.b64encode(f"{user}:{secret}".encode()).decode()
            lines.append(f"{self.nerfed(url)}:_auth={token}")
        (path or self.userconfig).write_text("\n".join(lines) + "\n")

    def env(self, userconfig: Path | None = None) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
        return {
            **keep,
            "HOME": str(self.home),
            "npm_config_userconfig": str(userconfig or self.userconfig),
            "npm_config_cache": str(self.home / "cache"),
            "NO_COLOR": "1",
            "NO_UPDATE_NOTIFIER": "1",
        }

    def run(
        self,
        *args: str,
        cwd: Path,
        registry: str | None = None,
        check: bool = True,
        userconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        command = ["npm", *args, "--registry", registry or self.registry]
        done = subprocess.run(
            command,
            cwd=cwd,
            env=self.env(userconfig),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def json(self, *args: str, cwd: Path, registry: str | None = None) -> Any:
        return json.loads(self.run(*args, "--json", cwd=cwd, registry=registry).stdout)

    def login(
        self, registry: str, username: str, password: str, userconfig: Path, timeout: float = 60
    ) -> tuple[int, str]:
        """``npm login`` answering its prompts; its exit code and output."""
        pid, fd = pty.fork()
        if pid == 0:  # the child: npm on the terminal
            os.execvpe(
                "npm",
                ["npm", "login", "--registry", registry, "--userconfig", str(userconfig)],
                self.env(userconfig),
            )
        out = b""
        answers = [(b"Username:", username), (b"Password:", password)]
        seen = 0
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if not ready:
                    continue
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                if answers and answers[0][0] in out[seen:]:
                    seen = out.index(answers[0][0], seen) + len(answers[0][0])
                    os.write(fd, (answers.pop(0)[1] + "\n").encode())
        finally:
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def package_dir(root: Path, name: str, version: str, **manifest: Any) -> Path:
    """A package's directory as its author has it: package.json and index.js."""
    directory = root / f"{name.replace('/', '__')}-{version}"
    directory.mkdir(parents=True, exist_ok=True)
    doc = {"name": name, "version": version, "main": "index.js", "license": "MIT", **manifest}
    (directory / "package.json").write_text(json.dumps(doc))
    (directory / "index.js").write_text(f"module.exports = {json.dumps(name + '@' + version)}\n")
    return directory


def project_dir(root: Path, name: str) -> Path:
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(json.dumps({"name": name, "version": "1.0.0"}))
    return directory


def locked(project: Path, name: str) -> dict[str, Any]:
    """The package-lock.json entry of an installed package."""
    lock = json.loads((project / "package-lock.json").read_text())
    entry: dict[str, Any] = lock["packages"][f"node_modules/{name}"]
    return entry


__all__ = ["NpmClient", "locked", "package_dir", "project_dir"]
