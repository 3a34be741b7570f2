"""What a distribution says of itself: its filename parsed as packaging parses it, and its
core metadata found where each kind of distribution keeps it."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from cargohold.core.errors import BadRequest
from cargohold.registry.pypi.distributions import parse_filename, read_metadata
from tests.pypi_dists import metadata, sdist, wheel


@pytest.mark.parametrize(
    ("filename", "name", "version", "zipped"),
    [
        ("Demo_Pkg-1.0.post1-py3-none-any.whl", "demo-pkg", "1.0.post1", True),
        ("demo_pkg-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "demo-pkg", "2.0", True),
        ("demo-pkg-1.0rc1.tar.gz", "demo-pkg", "1.0rc1", False),
        ("demo_pkg-1.0.zip", "demo-pkg", "1.0", True),
    ],
)
def test_filenames_name_the_project_and_version(
    filename: str, name: str, version: str, zipped: bool
) -> None:
    named = parse_filename(filename)
    assert (named.name, str(named.version), named.zipped) == (name, version, zipped)


@pytest.mark.parametrize(
    "filename",
    ["demo-1.0.exe", "demo-1.0.tar.bz2", "demo.whl", "demo-1.0-py3.whl", "demo-x!y.tar.gz"],
)
def test_other_files_are_refused(filename: str) -> None:
    with pytest.raises(BadRequest):
        parse_filename(filename)


def test_core_metadata_is_read_from_wheels_and_every_kind_of_sdist(tmp_path: Path) -> None:
    whl = wheel("demo", "1.0", requires_python=">=3.9")
    (tmp_path / whl.filename).write_bytes(whl.data)
    found = read_metadata(str(tmp_path / whl.filename), parse_filename(whl.filename))
    assert (found.name, str(found.version), found.requires_python) == ("demo", "1.0", ">=3.9")
    assert found.raw == whl.metadata

    tgz = sdist("demo", "1.0")
    (tmp_path / tgz.filename).write_bytes(tgz.data)
    assert read_metadata(str(tmp_path / tgz.filename), parse_filename(tgz.filename)).name == "demo"

    dotted = io.BytesIO()  # members named ./demo-1.0/..., as some tar writers do
    with tarfile.open(fileobj=dotted, mode="w:gz") as archive:
        info = tarfile.TarInfo("./demo-1.0/PKG-INFO")
        data = metadata("demo", "1.0")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (tmp_path / "demo-1.0.tar.gz").write_bytes(dotted.getvalue())
    assert read_metadata(str(tmp_path / "demo-1.0.tar.gz"), parse_filename("demo-1.0.tar.gz"))

    with zipfile.ZipFile(tmp_path / "demo-1.0.zip", "w") as archive:
        archive.writestr("demo-1.0/PKG-INFO", metadata("demo", "1.0"))
        archive.writestr("demo-1.0/demo.egg-info/PKG-INFO", metadata("demo", "1.0"))
    zipped = read_metadata(str(tmp_path / "demo-1.0.zip"), parse_filename("demo-1.0.zip"))
    assert str(zipped.version) == "1.0"


def test_a_wheel_with_two_metadata_files_or_none_is_refused(tmp_path: Path) -> None:
    for members in (
        {"a-1.0.dist-info/METADATA": metadata("a", "1.0"), "b-1.0.dist-info/METADATA": b""},
        {"a/__init__.py": b""},
    ):
        path = tmp_path / "a-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        with pytest.raises(BadRequest, match="exactly one"):
            read_metadata(str(path), parse_filename(path.name))
