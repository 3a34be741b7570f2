"""Tiny Debian packages made by the tests with dpkg-deb: a control file and one file."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Deb:
    package: str
    version: str
    architecture: str
    path: Path

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @property
    def filename(self) -> str:
        return self.path.name


def build_deb(
    folder: Path,
    package: str,
    version: str,
    architecture: str = "amd64",
    *,
    compression: str = "xz",
    extra: str = "",
) -> Deb:
    """``package`` ``version`` as ``dpkg-deb --build`` makes it, in ``folder``."""
    name = f"{package}_{version}_{architecture}"
    root = folder / f"{name}.root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: {version}\nArchitecture: {architecture}\n"
        f"Maintainer: cargohold tests <tests@cargohold.invalid>\nSection: misc\n"
        f"Priority: optional\n{extra}Description: a package for the tests\n"
        " It holds one small file.\n"
    )
    (root / "usr" / "share" / package).mkdir(parents=True)
    (root / "usr" / "share" / package / "hello.txt").write_text(f"{package} {version}\n")
    out = folder / f"{name}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(root), str(out)],
        check=True,
        capture_output=True,
    )
    return Deb(package, version, architecture, out)


__all__ = ["Deb", "build_deb"]
