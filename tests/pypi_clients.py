"""pip, uv and twine run as a user runs them, with nothing of this machine's configuration:
an empty home, no pip configuration file, no cache, no outside index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


class PythonClients:
    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.env = {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PIP_CONFIG_FILE": "/dev/null",
            "PIP_NO_CACHE_DIR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "UV_NO_CACHE": "1",
            "UV_NO_CONFIG": "1",
            "UV_PYTHON_DOWNLOADS": "never",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
        if "TMPDIR" in os.environ:
            self.env["TMPDIR"] = os.environ["TMPDIR"]

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.home,
            timeout=180,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
        return result

    def pip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "pip", *args, check=check)

    def twine(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN / "twine"), *args, "--non-interactive", check=check)

    def uv(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN / "uv"), *args, check=check)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join((result.stdout + result.stderr).split())


__all__ = ["PythonClients", "output"]
