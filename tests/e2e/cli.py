"""The cargohold CLI run as a user runs it: a subprocess with its own home directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, cargohold_command


@dataclass
class Cli:
    """``cargohold`` for one user of one machine: a private HOME and config directory, and
    the credentials in the environment (admin's by default; ``user=None``: none at all)."""

    server: CargoholdServer
    home: Path
    user: str | None = ADMIN_USER
    password: str | None = ADMIN_PASSWORD

    @property
    def login_file(self) -> Path:
        return self.home / "config" / "cargohold" / "config.json"

    @classmethod
    def fresh(cls, server: CargoholdServer, tmp_path: Path) -> Cli:
        home = tmp_path / "home"
        home.mkdir()
        return cls(server, home)

    def as_user(self, user: str | None, password: str | None = None) -> Cli:
        return Cli(self.server, self.home, user, password)

    def run(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CARGOHOLD_")}
        environ.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / "config"))
        if self.user is not None:
            environ.update(CARGOHOLD_URL=self.server.url, CARGOHOLD_USER=self.user)
            if self.password is not None:
                environ["CARGOHOLD_PASSWORD"] = self.password
        environ.update(env or {})
        result = subprocess.run(
            [*cargohold_command(), *args],
            capture_output=True,
            text=True,
            input=stdin if stdin is not None else "",
            env=environ,
            timeout=60,
            check=False,
            start_new_session=True,  # no terminal: a password prompt reads standard input
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, f"cargohold {' '.join(args)}: {result.stderr}"
        return result.stdout

    def fails(self, *args: str, stdin: str | None = None) -> str:
        """The error message of a command that must fail."""
        result = self.run(*args, stdin=stdin)
        assert result.returncode != 0, result.stdout
        return result.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))


def table(output: str) -> list[list[str]]:
    """A table's rows (after the header) split into cells at runs of two or more spaces."""
    return [re.split(r" {2,}", line.strip()) for line in output.splitlines()[1:]]


def column(output: str, index: int = 0) -> list[str]:
    return [row[index].strip() for row in table(output)]
