"""Real Go binaries for the cataloger tests, built offline with Debian's ``golang-go`` from the
sources in ``tests/fixtures/go``:

- ``cargohold-fixture`` (``module/``): a main module that requires a second module, replaced
  by a local directory (``replace … => ./dep``), the way a monorepo or a vendored fork is built;
- ``gopath-fixture`` (``gopath/``): a main package built outside module mode
  (``GO111MODULE=off``, in a GOPATH), the way Debian builds its Go packages: the build
  information names the package path and no main module.

Cached like the other fixtures (under ``$CARGOHOLD_FIXTURES``), keyed by the sources and the
toolchain; a build that fails raises.

``go version -m`` (the toolchain's own reader of the build information) is the oracle the
tests compare the cataloger with."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.unit.cataloger_fixtures import CACHE, FIXTURES

MAIN_MODULE = "example.com/cargohold-fixture"
DEP_MODULE = "example.com/dep"
DEP_VERSION = "v1.2.3"
BINARY = "cargohold-fixture"
GOPATH_BINARY = "gopath-fixture"
GOPATH_PACKAGE = "example.com/gopath-fixture"

SOURCES = FIXTURES / "go"
# Each binary: the folder of its sources, and the folder go build runs in (under it).
BINARIES = {
    BINARY: ("module", "."),
    GOPATH_BINARY: ("gopath", f"src/{GOPATH_PACKAGE}"),
}


def _go() -> str:
    found = "/usr/bin/go" if Path("/usr/bin/go").exists() else shutil.which("go")
    if found is None:
        raise RuntimeError("fixture build failed: no Go toolchain (Debian package golang-go)")
    return found


def _environment(work: Path, gopath: Path | None) -> dict[str, str]:
    """Offline and local only: no module proxy, no toolchain download, no VCS stamping, no
    cgo, no user configuration; with ``gopath``, outside module mode in that GOPATH. The
    build cache is shared (the standard library is compiled once for every fixture)."""
    modes = (
        {"GOPATH": str(gopath), "GO111MODULE": "off", "GOFLAGS": "-buildvcs=false"}
        if gopath is not None
        else {"GOPATH": str(work / "gopath"), "GOFLAGS": "-mod=mod -buildvcs=false"}
    )
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work),
        "GOCACHE": str(CACHE / "go" / "gocache"),
        "GOENV": "off",
        "GOWORK": "off",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        **modes,
    }


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fixture build failed: {' '.join(command)}\n{done.stderr}")
    return done.stdout


def toolchain_version() -> str:
    """``go1.19.8``, from ``go version`` (``go version go1.19.8 linux/amd64``)."""
    return _run([_go(), "version"], Path.cwd(), {"PATH": "/usr/bin:/bin"}).split()[2]


def _sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def build(binary: str) -> Path:
    """The executable ``binary`` (see BINARIES) built from its sources (statically linked,
    ``-trimpath``)."""
    if binary not in BINARIES:
        raise FileNotFoundError(f"no Go fixture {binary}: one of {sorted(BINARIES)}")
    sources, package = BINARIES[binary]
    files = _sources(SOURCES / sources)
    stamp = toolchain_version().encode() + b"".join(
        f"{p.relative_to(SOURCES).as_posix()}\0".encode() + p.read_bytes() for p in files
    )
    folder = CACHE / "go" / hashlib.sha256(stamp).hexdigest()[:12]
    target = folder / binary
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as name:
            work = Path(name)
            tree = work / "tree"
            shutil.copytree(SOURCES / sources, tree)
            gopath = tree if sources == "gopath" else None
            built = work / binary
            _run(
                [_go(), "build", "-trimpath", "-o", str(built), "."],
                tree / package,
                _environment(work, gopath),
            )
            built.rename(target)
    return target


def go_binary() -> Path:
    """The module-mode executable, ``cargohold-fixture``."""
    return build(BINARY)


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
    "BINARIES",
    "BINARY",
    "DEP_MODULE",
    "DEP_VERSION",
    "GOPATH_BINARY",
    "GOPATH_PACKAGE",
    "MAIN_MODULE",
    "PrintedBuildInfo",
    "build",
    "go_binary",
    "printed_build_info",
    "toolchain_version",
]
