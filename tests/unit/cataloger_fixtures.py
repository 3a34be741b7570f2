"""The cataloger fixtures: real packages kept in ``tests/fixtures``, one folder per ecosystem
(its README.md says where each file came from and how to refresh it), each beside
``<file>.expected.json``, the components the catalogers must find in it.

Fixtures that are built rather than kept — rpms and an rpm database, made by rpmbuild and rpm
from the specs in ``tests/fixtures/rpm``, and Go binaries (``tests/go_binary.py``) — are
built once into a cache folder (``$CARGOHOLD_FIXTURES`` or ``~/.cache/cargohold-fixtures``),
as are the Debian packages the insight image takes from the archive at run time
(``debian_package``: the pinned version, or the current one once the archive dropped it). A
build or a fetch that fails raises: a missing fixture fails the test, it never skips it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cargohold.analysis.model import Component

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CACHE = Path(os.environ.get("CARGOHOLD_FIXTURES", Path.home() / ".cache/cargohold-fixtures"))

# The kept fixtures the tests name; what each exercises is in its .expected.json.
ZLIB1G = "debian/zlib1g_1.2.13.dfsg-1_amd64.deb"
PYTHON3_ALL = "debian/python3-all_3.11.2-1+b1_amd64.deb"
MEDIA_TYPES = "debian/media-types_10.0.0_all.deb"
MIME_SUPPORT = "debian/mime-support_3.66_all.deb"
LOG4J_JCL = "maven/log4j-jcl-2.19.0.jar"
LOG4J_TO_SLF4J = "maven/log4j-to-slf4j-2.19.0.jar"
HAMCREST = "maven/hamcrest-2.2.jar"
COMMONS_LOGGING = "maven/commons-logging-1.2.jar"
URLLIB3_WHEEL = "pypi/urllib3-1.26.5-py2.py3-none-any.whl"
SEMVER_7 = "npm/semver-7.6.2.tgz"
SEMVER_6 = "npm/semver-6.3.1.tgz"
BABEL_CODE_FRAME = "npm/babel-code-frame-7.24.7.tgz"

# Built from the specs in tests/fixtures/rpm.
RPM_HELLO = "rpm/hello-1.2.3-4.el9.noarch.rpm"
RPM_HELLO_LIBS = "rpm/hello-libs-1.2.3-4.el9.noarch.rpm"
RPM_HELLO_SOURCE = "rpm/hello-1.2.3-4.el9.src.rpm"
RPM_TOOL = "rpm/tool-0.9-1.noarch.rpm"
RPMDB = "rpm/rpmdb.sqlite"
RPMDB_PACKAGES = (RPM_HELLO, RPM_HELLO_LIBS)

# In an .expected.json of a Go binary: the version of the toolchain that built it
# (``go version``, without "go"), which is Debian's golang-go of the machine.
GO_TOOLCHAIN = "${GO_TOOLCHAIN}"

Facts = tuple[str, str, str, str, tuple[str, ...], str | None, str | None, str]


@dataclass(frozen=True, slots=True)
class ExpectedComponent:
    """A component a cataloger must find in a fixture: at ``path`` inside it (through nested
    archives with ``!/``), or the fixture itself when ``path`` is empty."""

    name: str
    version: str
    purl: str
    ecosystem: str
    cataloger: str
    path: str
    licenses: tuple[str, ...]
    source_name: str | None
    source_version: str | None
    identity: str = ""  # the cataloger's rule that named it, when it has several

    def facts(self) -> Facts:
        return (
            self.name,
            self.version,
            self.purl,
            self.ecosystem,
            self.licenses,
            self.source_name,
            self.source_version,
            self.identity,
        )


@dataclass(frozen=True, slots=True)
class Expectation:
    """A fixture's ``.expected.json``: what it exercises, where in an image the fixture test
    puts it (``at``: some catalogers look for a path, such as an rpm database), and the
    exact components."""

    fixture: str
    exercises: str
    at: str
    components: tuple[ExpectedComponent, ...]


def facts(component: Component) -> Facts:
    """What a found component is, apart from where it was found and by which cataloger
    (but with which of its rules)."""
    return (
        component.name,
        component.version,
        component.purl,
        component.ecosystem,
        component.licenses,
        component.source_name,
        component.source_version,
        component.identity,
    )


_FIELDS = {
    "name",
    "version",
    "purl",
    "ecosystem",
    "cataloger",
    "path",
    "licenses",
    "source_name",
    "source_version",
}


def _component(doc: dict[str, Any], where: Path) -> ExpectedComponent:
    if set(doc) - {"identity"} != _FIELDS:
        raise ValueError(
            f"{where}: a component has exactly the fields {sorted(_FIELDS)}, and identity"
            " when its cataloger says which of its rules named it"
        )
    return ExpectedComponent(**{**doc, "licenses": tuple(doc["licenses"])})


def expectation(fixture: str) -> Expectation:
    """The expectations of ``fixture`` (``debian/zlib1g_…deb``), from its .expected.json."""
    where = FIXTURES / f"{fixture}.expected.json"
    text = where.read_text()
    if GO_TOOLCHAIN in text:
        from tests.go_binary import toolchain_version

        text = text.replace(GO_TOOLCHAIN, toolchain_version().removeprefix("go"))
    doc = json.loads(text)
    if set(doc) - {"exercises", "at", "components"} or not doc.get("components"):
        raise ValueError(f"{where}: wants exercises, components and optionally at")
    return Expectation(
        fixture,
        doc["exercises"],
        doc.get("at", f"srv/{fixture.rsplit('/', 1)[-1]}"),
        tuple(_component(c, where) for c in doc["components"]),
    )


def expected(fixture: str) -> tuple[ExpectedComponent, ...]:
    return expectation(fixture).components


def expectations() -> list[str]:
    """Every fixture with an .expected.json, kept or built."""
    suffix = ".expected.json"
    return sorted(
        p.relative_to(FIXTURES).as_posix().removesuffix(suffix)
        for p in FIXTURES.rglob(f"*{suffix}")
    )


def fixture(name: str) -> Path:
    """The file of a fixture: kept in tests/fixtures, or built into the cache."""
    kept = FIXTURES / name
    if kept.is_file():
        return kept
    if name == RPMDB:
        return rpmdb()
    if name.startswith("rpm/") and name.endswith(".rpm"):
        return rpm(name)
    if name.startswith("go/"):
        from tests.go_binary import build

        return build(name.removeprefix("go/"))
    raise FileNotFoundError(f"no fixture {name} in {FIXTURES}, and none is built by that name")


def deb_control(name: str) -> str:
    """A kept .deb's control paragraph as dpkg-deb prints it."""
    done = subprocess.run(
        ["dpkg-deb", "-f", str(fixture(name))], capture_output=True, text=True, check=True
    )
    return done.stdout


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"fixture fetch or build failed: {' '.join(command)}\n{done.stderr}")
    return done


def _folder(kind: str) -> Path:
    folder = CACHE / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- Debian packages taken from the archive at run time --------------------------------


def fetch_deb(package: str, pinned: str, into: Path) -> Path:
    """``apt-get download package=pinned`` into ``into``; once the archive no longer has
    ``pinned`` (a point release or a security update replaced it), the version it has now.
    Which one it was is the file's own business: read it with ``dpkg-deb -f``."""
    with tempfile.TemporaryDirectory(dir=into) as name:
        work = Path(name)
        command = ["apt-get", "download", "-q", f"{package}={pinned}"]
        done = subprocess.run(
            command,
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
        if done.returncode != 0:
            gone = (
                f"Version '{pinned}' for '{package}' was not found",
                # when this machine has the version installed, but no archive has it
                f"Can't find a source to download version '{pinned}'",
            )
            if not any(message in done.stderr for message in gone):
                raise RuntimeError(f"fixture fetch failed: {' '.join(command)}\n{done.stderr}")
            _run(["apt-get", "download", "-q", package], work)
        (downloaded,) = work.glob("*.deb")
        return downloaded.rename(into / downloaded.name)


def debian_package(package: str, pinned: str) -> Path:
    """The .deb of ``package`` from the Debian archive, fetched once into the cache (the one
    fetched last, if there are several): the pinned version, or the current one (see
    fetch_deb). Callers take versions from the package, never from ``pinned``."""
    folder = _folder("debian")
    cached = [p for p in folder.glob(f"{package}_*.deb") if p.name.split("_")[0] == package]
    if cached:
        return max(cached, key=lambda path: path.stat().st_mtime_ns)
    return fetch_deb(package, pinned, folder)


def deb_version(deb: Path) -> str:
    done = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def deb_contents(deb: Path) -> Path:
    """The files of a .deb, unpacked once with dpkg-deb."""
    target = _folder("debian") / f"{deb.name}.contents"
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        _run(["dpkg-deb", "-x", str(deb), str(partial)], CACHE)
        partial.rename(target)
    return target


# --- rpms and an rpm database, built by rpmbuild and rpm -------------------------------


def _specs() -> list[Path]:
    return sorted((FIXTURES / "rpm").glob("*.spec"))


def _rpm_folder() -> Path:
    """The folder of the rpms built from the specs (named by their hash: a changed spec
    builds anew)."""
    digest = hashlib.sha256(b"".join(s.read_bytes() for s in _specs())).hexdigest()[:12]
    target = _folder("rpm") / digest
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "tmp").mkdir(parents=True)
        for spec in _specs():
            _run(
                [
                    "rpmbuild",
                    "-ba",
                    "--define",
                    f"_topdir {partial}",
                    "--define",
                    f"_tmppath {partial / 'tmp'}",
                    str(spec),
                ],
                partial,
            )
        partial.rename(target)
    return target


def rpm(name: str) -> Path:
    """A binary or source rpm built from the specs: ``rpm/hello-1.2.3-4.el9.noarch.rpm``."""
    file_name = name.removeprefix("rpm/")
    found = [p for p in _rpm_folder().glob("*RPMS/**/*.rpm") if p.name == file_name]
    if not found:
        raise RuntimeError(f"rpmbuild made no {file_name}")
    return found[0]


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
            packages = [str(rpm(package)) for package in RPMDB_PACKAGES]
            _run([*rpm_db, "-i", "--justdb", "--nodeps", "--noscripts", *packages], work)
            _run([*rpm_db, "--import", str(_armored_signing_key(work))], work)
            shutil.copyfile(database / "rpmdb.sqlite", work / "rpmdb.sqlite")
            (work / "rpmdb.sqlite").rename(target)
    return target
