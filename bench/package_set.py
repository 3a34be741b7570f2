"""A set of small Python and npm packages made for the benchmarks, and the static index an
upstream serves them from (PEP 503 pages and npm packuments as plain files, as a mirror
served by nginx holds them).

Every package ``bench-pkg-NN`` 1.0.0 is a wheel and an npm tarball holding a module and
``--kib`` KiB of random bytes; the bytes are drawn from a seeded generator, so the same
arguments make the same files.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import random
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "1.0.0"


@dataclass(frozen=True, slots=True)
class PackageSet:
    root: Path  # the static index: simple/, files/, npm/
    names: tuple[str, ...]

    def requirements(self) -> str:
        return "".join(f"{name}=={VERSION}\n" for name in self.names)


def _payload(seed: str, kib: int) -> bytes:
    return random.Random(seed).randbytes(kib * 1024)


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel(name: str, kib: int) -> tuple[str, bytes]:
    """The wheel of ``name`` 1.0.0: its file name and bytes."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{VERSION}.dist-info"
    files = {
        f"{module}/__init__.py": f'"""{name}, made for the benchmarks."""\n'.encode(),
        f"{module}/data.bin": _payload(name, kib),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {VERSION}\n"
            "Summary: A package made for cargohold's benchmarks\nRequires-Python: >=3.8\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: cargohold-bench\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0)), data)
    return f"{module}-{VERSION}-py3-none-any.whl", out.getvalue()


def tarball(name: str, kib: int) -> bytes:
    """The npm tarball of ``name`` 1.0.0."""
    files = {
        "package/package.json": json.dumps(
            {"name": name, "version": VERSION, "main": "index.js", "license": "MIT"}
        ).encode(),
        "package/index.js": b"module.exports = 1;\n",
        "package/data.bin": _payload(name, kib),
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 1704067200, 0o644
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def build(root: Path, count: int, kib: int, base_url: str) -> PackageSet:
    """``count`` packages in a static index at ``root``, whose npm tarball URLs start with
    ``base_url`` (the server that will serve ``root``)."""
    names = tuple(f"bench-pkg-{i:02d}" for i in range(count))
    (root / "files").mkdir(parents=True, exist_ok=True)
    links = []
    for name in names:
        filename, data = wheel(name, kib)
        (root / "files" / filename).write_bytes(data)
        sha256 = hashlib.sha256(data).hexdigest()
        page = root / "simple" / name
        page.mkdir(parents=True, exist_ok=True)
        (page / "index.html").write_text(
            "<!DOCTYPE html><html><body>\n"
            f'<a href="../../files/{filename}#sha256={sha256}" '
            f'data-requires-python="{html.escape(">=3.8")}">{filename}</a>\n'
            "</body></html>\n"
        )
        links.append(f'<a href="{name}/">{name}</a>')
        packed = tarball(name, kib)
        folder = root / "npm" / name
        (folder / "-").mkdir(parents=True, exist_ok=True)
        tgz = f"{name}-{VERSION}.tgz"
        (folder / "-" / tgz).write_bytes(packed)
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(packed).digest()).decode()
        manifest = {
            "name": name,
            "version": VERSION,
            "main": "index.js",
            "license": "MIT",
            "dist": {
                "tarball": f"{base_url}/npm/{name}/-/{tgz}",
                "shasum": hashlib.sha1(packed).hexdigest(),
                "integrity": integrity,
            },
        }
        packument = {
            "name": name,
            "dist-tags": {"latest": VERSION},
            "versions": {VERSION: manifest},
        }
        (folder / "index.json").write_text(json.dumps(packument))
    (root / "simple" / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n"
    )
    return PackageSet(root, names)


__all__ = ["VERSION", "PackageSet", "build", "tarball", "wheel"]
