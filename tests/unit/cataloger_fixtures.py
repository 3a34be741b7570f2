"""Real packages for the cataloger tests, fetched once with the ecosystems' own clients
(apt-get download, pip download) or from their registry (npm), or built with the
ecosystem's own tools (rpmbuild, rpm), into one folder per ecosystem under a cache dir
(``$CARGOHOLD_FIXTURES`` or ``~/.cache/cargohold-fixtures``). A fetch or build that fails
raises: a missing fixture fails the test, it never skips it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
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


# Two source packages for rpmbuild: one with an epoch, a vendor, an SPDX expression and a
# subpackage named apart from its source; one with none of these.
RPM_SPECS = {
    "hello": """\
Name:           hello
Version:        1.2.3
Release:        4.el9
Epoch:          2
Summary:        A tiny package for cargohold's cataloger tests
License:        MIT AND (BSD-3-Clause OR GPL-2.0-only)
Vendor:         Rocky Enterprise Software Foundation
BuildArch:      noarch

%description
A tiny package for cargohold's cataloger tests.

%package libs
Summary:        The libraries of hello
License:        MIT

%description libs
The libraries of hello.

%install
mkdir -p %{buildroot}/usr/share/hello %{buildroot}/usr/lib/hello
echo hello > %{buildroot}/usr/share/hello/README
echo lib > %{buildroot}/usr/lib/hello/lib.txt

%files
/usr/share/hello/README

%files libs
/usr/lib/hello/lib.txt
""",
    "tool": """\
Name:           tool
Version:        0.9
Release:        1
Summary:        A package without epoch or vendor
License:        ISC
BuildArch:      noarch

%description
A package without epoch or vendor.

%install
mkdir -p %{buildroot}/usr/share/tool
echo tool > %{buildroot}/usr/share/tool/README

%files
/usr/share/tool/README
""",
}


def _rpm_folder() -> Path:
    """The folder of the rpms built from RPM_SPECS (named by their hash: a changed spec
    builds anew)."""
    digest = hashlib.sha256(repr(sorted(RPM_SPECS.items())).encode()).hexdigest()[:12]
    target = _folder("rpm") / digest
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "tmp").mkdir(parents=True)
        for name, spec in RPM_SPECS.items():
            (partial / f"{name}.spec").write_text(spec)
            _run(
                [
                    "rpmbuild",
                    "-ba",
                    "--define",
                    f"_topdir {partial}",
                    "--define",
                    f"_tmppath {partial / 'tmp'}",
                    f"{name}.spec",
                ],
                partial,
            )
        partial.rename(target)
    return target


def rpm(file_name: str) -> Path:
    """A binary or source rpm built from RPM_SPECS: ``hello-1.2.3-4.el9.noarch.rpm``."""
    found = [p for p in _rpm_folder().glob("*RPMS/**/*.rpm") if p.name == file_name]
    if not found:
        raise RuntimeError(f"rpmbuild made no {file_name}")
    return found[0]


RPMDB_PACKAGES = ("hello-1.2.3-4.el9.noarch.rpm", "hello-libs-1.2.3-4.el9.noarch.rpm")


def _armored_signing_key(work: Path) -> Path:
    """A real OpenPGP public key (Debian's archive key) armored for ``rpm --import``."""
    keyrings = sorted(Path("/usr/share/keyrings").glob("debian-archive-*-stable.gpg"))
    if not keyrings:
        raise RuntimeError("fixture build failed: no Debian archive keyring to import")
    key = work / "key.asc"
    home = work / "gnupg"
    home.mkdir(mode=0o700)
    keyring = ["--no-default-keyring", "--keyring", str(keyrings[-1])]
    done = subprocess.run(
        ["gpg", "--homedir", str(home), *keyring, "--export", "--armor"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError(f"fixture build failed: gpg --export\n{done.stderr.decode()}")
    key.write_bytes(done.stdout)
    return key


def rpmdb() -> Path:
    """An rpmdb.sqlite made by rpm itself: RPMDB_PACKAGES installed (database only) and a
    signing key imported, which rpm records as a ``gpg-pubkey`` pseudo package."""
    target = _rpm_folder() / "rpmdb.sqlite"
    if not target.is_file():
        with tempfile.TemporaryDirectory(dir=_rpm_folder()) as name:
            work = Path(name)
            database = work / "db"
            database.mkdir()
            rpm_db = ["rpm", "--dbpath", str(database), "--define", "_db_backend sqlite"]
            _run([*rpm_db, "--initdb"], work)
            packages = [str(rpm(file_name)) for file_name in RPMDB_PACKAGES]
            _run([*rpm_db, "-i", "--justdb", "--nodeps", "--noscripts", *packages], work)
            _run([*rpm_db, "--import", str(_armored_signing_key(work))], work)
            shutil.copyfile(database / "rpmdb.sqlite", work / "rpmdb.sqlite")
            (work / "rpmdb.sqlite").rename(target)
    return target
