"""A real Go binary for the cataloger tests, built offline with Debian's ``golang-go``: a main
module that requires a second module, replaced by a local directory (``replace … => ./dep``),
the way a monorepo or a vendored fork is built. Cached like the other fixtures (under
``$CARGOHOLD_FIXTURES``), keyed by the sources and the toolchain; a build that fails raises.

``go version -m`` (the toolchain's own reader of the build information) is the oracle the
tests compare the cataloger with."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.unit.cataloger_fixtures import CACHE

MAIN_MODULE = "example.com/cargohold-fixture"
DEP_MODULE = "example.com/dep"
DEP_VERSION = "v1.2.3"
BINARY = "cargohold-fixture"

SOURCES = {
    "go.mod": f"""\
module {MAIN_MODULE}

go 1.19

require {DEP_MODULE} {DEP_VERSION}

replace {DEP_MODULE} => ./dep
""",
    "main.go": f"""\
package main

import (
\t"fmt"

\t"{DEP_MODULE}"
)

func main() {{ fmt.Println(dep.Greeting()) }}
""",
    "dep/go.mod": f"module {DEP_MODULE}\n\ngo 1.19\n",
    "dep/dep.go": 'package dep\n\nfunc Greeting() string { return "hello from dep" }\n',
}


def _go() -> str:
    found = "/usr/bin/go" if Path("/usr/bin/go").exists() else shutil.which("go")
    if found is None:
        raise RuntimeError("fixture build failed: no Go toolchain (Debian package golang-go)")
    return found


def _environment(work: Path) -> dict[str, str]:
    """Offline and local only: no module proxy, no toolchain download, no VCS stamping, no
    cgo, no user configuration."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work),
        "GOCACHE": str(work / "gocache"),
        "GOPATH": str(work / "gopath"),
        "GOENV": "off",
        "GOWORK": "off",
        "GOFLAGS": "-mod=mod -buildvcs=false",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fixture build failed: {' '.join(command)}\n{done.stderr}")
    return done.stdout


def toolchain_version() -> str:
    """``go1.19.8``, from ``go version`` (``go version go1.19.8 linux/amd64``)."""
    return _run([_go(), "version"], Path.cwd(), {"PATH": "/usr/bin:/bin"}).split()[2]


def go_binary() -> Path:
    """The built executable (statically linked, ``-trimpath``)."""
    key = hashlib.sha256(
        (toolchain_version() + repr(sorted(SOURCES.items()))).encode()
    ).hexdigest()[:12]
    folder = CACHE / "go" / key
    target = folder / BINARY
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as name:
            work = Path(name)
            source = work / "src"
            for path, text in SOURCES.items():
                (source / path).parent.mkdir(parents=True, exist_ok=True)
                (source / path).write_text(text)
            built = work / BINARY
            _run([_go(), "build", "-trimpath", "-o", str(built), "."], source, _environment(work))
            built.rename(target)
    return target


@dataclass(frozen=True, slots=True)
class PrintedBuildInfo:
    """What ``go version -m`` prints: the toolchain, then one tab-separated line per entry
    (``path``, ``mod``, ``dep``, ``=>`` for the replacement of the ``dep`` above it, ``build``)."""

    go_version: str
    lines: tuple[tuple[str, ...], ...]

    def of(self, kind: str) -> list[tuple[str, ...]]:
        return [line[1:] for line in self.lines if line[0] == kind]


def printed_build_info(binary: Path) -> PrintedBuildInfo:
    text = _run([_go(), "version", "-m", str(binary)], binary.parent, {"PATH": "/usr/bin:/bin"})
    head, *rest = text.splitlines()
    lines = tuple(tuple(line.strip("\t").split("\t")) for line in rest if line.strip())
    return PrintedBuildInfo(head.rsplit(": ", 1)[1].strip(), lines)


__all__ = [
    "BINARY",
    "DEP_MODULE",
    "DEP_VERSION",
    "MAIN_MODULE",
    "PrintedBuildInfo",
    "go_binary",
    "printed_build_info",
    "toolchain_version",
]
