"""A real Debian 12 image with language packages, and the components it holds according to
each ecosystem's own tools. Built once and cached under ``$CARGOHOLD_FIXTURES`` (or
``~/.cache/cargohold-fixtures``) like the cataloger fixtures; a fetch or build that fails
raises, it never skips.

Layers, lowest first:

0. ``mmdebstrap --variant=minbase bookworm``: the Debian base system (about 170 MB of tar),
   from the archive as it is today.
1. Language packages where real installs put them: the wheels of tests/fixtures/pypi
   installed by ``pip install --no-deps --target usr/lib/python3/dist-packages``; the npm
   tarballs of tests/fixtures/npm (as ``npm pack`` makes them) in ``usr/lib/node_modules``,
   with a second version of lodash nested under ``async``; Debian's log4j-api and log4j-core
   jars inside ``opt/app/web.war`` and a legacy copy of log4j-core in ``opt/app/legacy``;
   the Go binary of ``tests.go_binary`` in ``usr/local/bin``.
2. A whiteout deleting the legacy log4j-core jar.

Only the base system and the log4j jars (liblog4j2-java, 2.3 MB) come from the Debian
archive when the image is built; everything else is kept in tests/fixtures. The archive keeps
only the current version of a package: liblog4j2-java is pinned, and once a point release or
a security update replaced that version the current one is taken (``fetch_deb``). Nothing
here depends on which: the jar names and the expected versions are read from the jars.

The expected components come from oracles independent of cargohold's catalogers:
``dpkg-query --admindir`` (Debian's own tool), ``pip inspect --path`` (pip's reading of the
installed metadata), each installed package.json, each jar's Maven ``pom.properties`` and
``go version -m``."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from tests import go_binary as go
from tests.disk_images import DiskImage, LayerBlob, disk_image, gzip_layer
from tests.unit import cataloger_fixtures as fx

SUITE = "bookworm"
EPOCH = 1_700_000_000  # SOURCE_DATE_EPOCH of every layer: the same tars on every build
VERSION = 2  # of this recipe, with the constants below: the cache key of the built layers

WHEELS = (
    "pypi/urllib3-1.26.5-py2.py3-none-any.whl",
    "pypi/requests-2.25.0-py2.py3-none-any.whl",
    "pypi/Jinja2-2.10-py2.py3-none-any.whl",
)
NODE_MODULES = "usr/lib/node_modules"
# (fixture, where it goes): lodash 4.17.15 at the top, 4.17.21 nested under async.
NPM = (
    ("npm/lodash-4.17.15.tgz", f"{NODE_MODULES}/lodash"),
    ("npm/async-2.6.3.tgz", f"{NODE_MODULES}/async"),
    ("npm/lodash-4.17.21.tgz", f"{NODE_MODULES}/async/node_modules/lodash"),
)
DIST_PACKAGES = "usr/lib/python3/dist-packages"
# The Debian package of the log4j jars: pinned, or the current version once the archive
# dropped that one.
LOG4J2 = ("liblog4j2-java", "2.19.0-2")
WAR = "opt/app/web.war"
WAR_JARS = ("log4j-api", "log4j-core")
LEGACY = "opt/app/legacy"
GO_BINARY = f"usr/local/bin/{go.BINARY}"
WEB_POM = "groupId=com.example\nartifactId=web\nversion=1.0.0\n"


@dataclass(frozen=True, slots=True)
class Expected:
    """A component the image holds: in layer ``layer`` at ``path`` (through nested archives
    with ``!/``), seen by a container or not (deleted by a later layer)."""

    ecosystem: str
    name: str
    version: str
    layer: int
    path: str
    visible: bool = True

    def evidence(self, layer_digests: list[str]) -> str:
        return f"{layer_digests[self.layer]}!/{self.path}"


@dataclass(frozen=True, slots=True)
class Log4j:
    """Debian's log4j jars (WAR_JARS) and their version, as Maven wrote it into them."""

    deb: str  # the file name of the Debian package they came from
    version: str
    jars: dict[str, bytes]

    def in_war(self, artifact: str) -> str:
        return f"WEB-INF/lib/{artifact}-{self.version}.jar"

    @property
    def legacy_jar(self) -> str:
        return f"{LEGACY}/log4j-core-{self.version}.jar"


@dataclass(frozen=True, slots=True)
class DebianImage:
    image: DiskImage
    expected: tuple[Expected, ...]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fixture build failed: {' '.join(command)}\n{done.stderr[-4000:]}")
    return done.stdout


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses for bookworm, else deb.debian.org."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.is_file():
        for stanza in sources.read_text().split("\n\n"):
            fields = dict(
                line.split(":", 1) for line in stanza.splitlines() if re.match(r"^\w[\w-]*:", line)
            )
            suites = fields.get("Suites", "").split()
            uris = fields.get("URIs", "").split()
            if SUITE in suites and uris and "security" not in uris[0]:
                return uris[0]
    listing = Path("/etc/apt/sources.list")
    if listing.is_file():
        for line in listing.read_text().splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                return words[1]
    return "http://deb.debian.org/debian"


def debian_rootfs() -> Path:
    """The minbase tarball, made by mmdebstrap as root (``--mode=root``: no container
    needed) or else in a user namespace (``--mode=unshare``). No device nodes: a container
    runtime provides /dev."""
    folder = fx.CACHE / "rootfs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"debian-{SUITE}-minbase.tar"
    if not target.is_file():
        if shutil.which("mmdebstrap") is None:
            raise RuntimeError("fixture build failed: mmdebstrap is not installed")
        partial = folder / f"debian-{SUITE}-minbase.partial.tar"
        mode = "root" if os.geteuid() == 0 else "unshare"
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
        _run(
            [
                "mmdebstrap",
                "--variant=minbase",
                f"--mode={mode}",
                "--format=tar",
                "--skip=output/dev",
                "--quiet",
                SUITE,
                str(partial),
                debian_mirror(),
            ],
            folder,
            env,
        )
        partial.rename(target)
    return target


# --- the language layer -----------------------------------------------------------------


def _install_wheels(root: Path) -> None:
    target = root / DIST_PACKAGES
    wheels = [str(fx.fixture(name)) for name in WHEELS]
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile"]
    _run([*pip, "--no-index", "--target", str(target), *wheels], root)
    # Installed from local files, pip records their file:// URLs; an install from an index
    # (pip install urllib3==1.26.5) records none.
    for record in target.glob("*.dist-info/direct_url.json"):
        record.unlink()
        listing = record.parent / "RECORD"
        lines = listing.read_text().splitlines()
        listing.write_text("".join(f"{ln}\n" for ln in lines if "direct_url.json" not in ln))


def _install_npm(root: Path) -> None:
    for tarball, where in NPM:
        destination = root / where
        destination.mkdir(parents=True)
        with tarfile.open(fx.fixture(tarball), "r:gz") as archive:
            for member in archive.getmembers():
                name = member.name.split("/", 1)
                if len(name) != 2 or not (member.isfile() or member.isdir()):
                    continue
                path = destination / name[1]
                if member.isdir():
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None
                path.write_bytes(source.read())


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20)), data)
    return buffer.getvalue()


def debian_log4j() -> Log4j:
    """The jars of liblog4j2-java from the Debian archive (see LOG4J2)."""
    deb = fx.debian_package(*LOG4J2)
    java = fx.deb_contents(deb) / "usr/share/java"
    jars = {artifact: (java / f"{artifact}.jar").resolve().read_bytes() for artifact in WAR_JARS}
    (version,) = {_pom(jar)[1] for jar in jars.values()}
    return Log4j(deb.name, version, jars)


def _install_java(root: Path, log4j: Log4j) -> None:
    war = {
        "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nCreated-By: cargohold tests\r\n\r\n",
        "META-INF/maven/com.example/web/pom.properties": WEB_POM.encode(),
        "WEB-INF/web.xml": b"<web-app/>\n",
        **{log4j.in_war(a): log4j.jars[a] for a in WAR_JARS},
    }
    (root / WAR).parent.mkdir(parents=True)
    (root / WAR).write_bytes(_zip_bytes(war))
    (root / log4j.legacy_jar).parent.mkdir(parents=True)
    (root / log4j.legacy_jar).write_bytes(log4j.jars["log4j-core"])


def _install_go(root: Path) -> None:
    (root / GO_BINARY).parent.mkdir(parents=True)
    shutil.copyfile(go.go_binary(), root / GO_BINARY)
    (root / GO_BINARY).chmod(0o755)


def _tar_tree(root: Path, target: Path) -> None:
    """``root`` as a layer tar: sorted, owned by root, every time stamp SOURCE_DATE_EPOCH."""

    def normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = EPOCH
        return info

    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        for directory, names, files in os.walk(root):
            names.sort()
            for name in [*names, *sorted(files)]:
                path = Path(directory) / name
                archive.add(path, path.relative_to(root).as_posix(), False, filter=normalized)


def _whiteout_tar(target: Path, legacy_jar: str) -> None:
    parent, _, name = legacy_jar.rpartition("/")
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(f"{parent}/.wh.{name}")
        info.mtime = EPOCH
        archive.addfile(info, io.BytesIO(b""))


# --- the oracles --------------------------------------------------------------------------


def _dpkg_expected(rootfs: Path, work: Path) -> list[Expected]:
    admindir = work / "dpkg-admin"
    with tarfile.open(rootfs) as archive:
        members = [
            m
            for m in archive.getmembers()
            if _member_name(m).startswith("var/lib/dpkg/") and (m.isfile() or m.isdir())
        ]
        for member in members:
            path = admindir / _member_name(member).removeprefix("var/lib/dpkg/")
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            path.write_bytes(source.read())
    listing = _run(
        [
            "dpkg-query",
            f"--admindir={admindir}",
            "-W",
            "-f=${Package}\\t${Version}\\t${db:Status-Status}\\n",
        ],
        work,
    )
    found = []
    for line in listing.splitlines():
        package, version, status = line.split("\t")
        if status == "installed":
            found.append(Expected("Debian", package, version, 0, "var/lib/dpkg/status"))
    return found


def _member_name(member: tarfile.TarInfo) -> str:
    return member.name.removeprefix("./")


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _python_expected(root: Path) -> list[Expected]:
    report = json.loads(
        _run([sys.executable, "-m", "pip", "inspect", "--path", str(root / DIST_PACKAGES)], root)
    )
    return [
        Expected(
            "PyPI",
            _pep503(item["metadata"]["name"]),
            item["metadata"]["version"],
            1,
            (Path(item["metadata_location"]) / "METADATA").relative_to(root).as_posix(),
        )
        for item in report["installed"]
    ]


def _npm_expected(root: Path) -> list[Expected]:
    found = []
    for _, where in NPM:
        manifest = json.loads((root / where / "package.json").read_text())
        found.append(
            Expected("npm", manifest["name"], manifest["version"], 1, f"{where}/package.json")
        )
    return found


def _pom(jar: bytes) -> tuple[str, str]:
    """``group:artifact`` and version from the ``pom.properties`` Maven wrote into the jar."""
    with zipfile.ZipFile(io.BytesIO(jar)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("/pom.properties")]
        text = archive.read(name).decode()
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition("=") for line in text.splitlines())
        if value and not key.startswith("#")
    )
    return f"{fields['groupId']}:{fields['artifactId']}", fields["version"]


def _java_expected(log4j: Log4j) -> list[Expected]:
    found = [Expected("Maven", "com.example:web", "1.0.0", 1, WAR)]  # WEB_POM
    for artifact in WAR_JARS:
        name, version = _pom(log4j.jars[artifact])
        found.append(Expected("Maven", name, version, 1, f"{WAR}!/{log4j.in_war(artifact)}"))
    name, version = _pom(log4j.jars["log4j-core"])
    found.append(Expected("Maven", name, version, 1, log4j.legacy_jar, visible=False))
    return found


def _go_expected() -> list[Expected]:
    printed = go.printed_build_info(go.go_binary())
    ((main, main_version),) = printed.of("mod")
    ((dep, _),) = printed.of("dep")
    ((_, compiled),) = printed.of("=>")  # replaced by a local directory
    modules = [
        ("stdlib", printed.go_version.removeprefix("go")),
        (main, main_version),
        (dep, compiled),
    ]
    return [Expected("Go", name, version, 1, GO_BINARY) for name, version in modules]


# --- the image ----------------------------------------------------------------------------


def _inputs_digest() -> str:
    """The digest of the kept files the language layer is made of."""
    files = [fx.fixture(name) for name in (*WHEELS, *(name for name, _ in NPM))]
    files += sorted(p for p in go.SOURCES.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(fx.FIXTURES).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold ``lock`` against every other process: the one that builds the image (and clears
    an older recipe's) does it alone, the others then read what it built."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def debian_image() -> DebianImage:
    """The image (layers gzipped on disk) and its expected components."""
    base = debian_rootfs()
    log4j = debian_log4j()
    recipe = (VERSION, WHEELS, NPM, WAR_JARS, LEGACY, WEB_POM, log4j.deb, _inputs_digest())
    stamp = f"{recipe!r} {base.stat().st_size} {base.stat().st_mtime_ns}"
    folder = fx.CACHE / "rootfs" / f"image-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"
    description = folder / "image.json"
    (fx.CACHE / "rootfs").mkdir(parents=True, exist_ok=True)
    with _exclusive(fx.CACHE / "rootfs" / "image.lock"):  # test processes build it once
        if not description.is_file():
            for stale in folder.parent.glob("image-*"):  # an older recipe's layers
                shutil.rmtree(stale, ignore_errors=True)
            folder.mkdir(parents=True)
            with tempfile.TemporaryDirectory(dir=folder) as name:
                work = Path(name)
                tree = work / "tree"
                tree.mkdir()
                _install_wheels(tree)
                _install_npm(tree)
                _install_java(tree, log4j)
                _install_go(tree)
                _tar_tree(tree, work / "languages.tar")
                _whiteout_tar(work / "whiteout.tar", log4j.legacy_jar)
                layers = [
                    gzip_layer(base, folder / "layer-0.tar.gz"),
                    gzip_layer(work / "languages.tar", folder / "layer-1.tar.gz"),
                    gzip_layer(work / "whiteout.tar", folder / "layer-2.tar.gz"),
                ]
                expected = [
                    *_dpkg_expected(base, work),
                    *_python_expected(tree),
                    *_npm_expected(tree),
                    *_java_expected(log4j),
                    *_go_expected(),
                ]
            doc = {
                "layers": [layer.to_json() for layer in layers],
                "expected": [asdict(e) for e in expected],
            }
            partial = folder / "image.json.partial"
            partial.write_text(json.dumps(doc, indent=1))
            partial.rename(description)
    doc = json.loads(description.read_text())
    layers = [LayerBlob.from_json(folder, layer) for layer in doc["layers"]]
    history = [
        f"mmdebstrap --variant=minbase {SUITE}",
        "pip install --target; npm packages; opt/app/web.war; go build",
        f"rm /{log4j.legacy_jar}",
    ]
    return DebianImage(disk_image(layers, history), tuple(Expected(**e) for e in doc["expected"]))


__all__ = [
    "LEGACY",
    "SUITE",
    "DebianImage",
    "Expected",
    "Log4j",
    "debian_image",
    "debian_log4j",
    "debian_mirror",
    "debian_rootfs",
]
