"""Real packages for the cataloger tests, fetched once with the ecosystems' own clients
(apt-get download, pip download) or from their registry (npm) into one folder per ecosystem
under a cache dir (``$CARGOHOLD_FIXTURES`` or ``~/.cache/cargohold-fixtures``). A fetch that
fails raises: a missing fixture fails the test, it never skips it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

CACHE = Path(os.environ.get("CARGOHOLD_FIXTURES", Path.home() / ".cache/cargohold-fixtures"))

DEBIAN = {
    "zlib1g": "1:1.2.13.dfsg-1",  # an epoch, a source with another name
    "libgcc-s1": "12.2.0-14+deb12u1",  # Source: gcc-12 without a version
    "fzf": "0.38.0-1+b1",  # a binNMU: Source: fzf (0.38.0-1); a Go binary
    "liblog4j2-java": "2.19.0-2",  # jars with pom.properties
    "libhamcrest-java": "2.2-1",  # a jar with a MANIFEST.MF only
}


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fixture fetch failed: {' '.join(command)}\n{done.stderr}")


def _folder(ecosystem: str) -> Path:
    folder = CACHE / ecosystem
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def deb(package: str) -> Path:
    """The .deb of one pinned Debian package (see DEBIAN)."""
    folder = _folder("debian")
    version = DEBIAN[package]
    found = [p for p in folder.glob(f"{package}_*.deb") if p.name.split("_")[0] == package]
    if not found:
        _run(["apt-get", "download", f"{package}={version}"], folder)
        found = [p for p in folder.glob(f"{package}_*.deb") if p.name.split("_")[0] == package]
    return found[0]


def deb_contents(package: str) -> Path:
    """The files of a .deb, unpacked with dpkg-deb."""
    target = _folder("debian") / f"{package}.contents"
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        _run(["dpkg-deb", "-x", str(deb(package)), str(partial)], CACHE)
        partial.rename(target)
    return target


def deb_control(package: str) -> str:
    """A .deb's control paragraph as dpkg-deb prints it."""
    done = subprocess.run(
        ["dpkg-deb", "-f", str(deb(package))], capture_output=True, text=True, check=True
    )
    return done.stdout


def pypi(requirement: str, *, sdist: bool) -> Path:
    """A wheel (or with ``sdist`` the source distribution) of ``name==version``."""
    folder = _folder("pypi")
    name, version = requirement.split("==")
    pattern = f"{name}-{version}.tar.gz" if sdist else f"{name}-{version}-*.whl"
    found = sorted(folder.glob(pattern))
    if not found:
        kind = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                *kind,
                "-d",
                ".",
                requirement,
            ],
            folder,
        )
        found = sorted(folder.glob(pattern))
    return found[0]


def npm(spec: str) -> Path:
    """The tarball ``npm pack`` makes of ``name@version``: the one the npm registry serves
    (fetched from the registry directly, so the tests need no npm client)."""
    folder = _folder("npm")
    name, _, version = spec.rpartition("@")
    file_name = f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    target = folder / file_name
    if not target.is_file():
        url = f"https://registry.npmjs.org/{name}/-/{name.rpartition('/')[2]}-{version}.tgz"
        try:
            response = httpx.get(url, timeout=60, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"fixture fetch failed: {url}: {exc}") from exc
        if response.status_code != 200:
            raise RuntimeError(f"fixture fetch failed: {url}: HTTP {response.status_code}")
        partial = target.with_suffix(".partial")
        partial.write_bytes(response.content)
        partial.rename(target)
    return target
