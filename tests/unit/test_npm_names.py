"""npm's names, versions and tarballs as cargohold checks them before anything is stored:
names npm would accept, tarballs read within bounds, advisories' ranges in npm's words."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from cargohold.analysis.vulndb.osv import Affected, Range
from cargohold.core.errors import BadRequest, NameInvalid
from cargohold.registry.npm import tarballs
from cargohold.registry.npm.advisories import vulnerable_versions
from cargohold.registry.npm.names import (
    readable_name,
    tarball_filename,
    validate_name,
    validate_tag,
    validate_version,
    version_of_filename,
)
from cargohold.registry.npm.tarballs import TarballUnreadable, read_package_json
from tests.npm_packages import tarball


@pytest.mark.parametrize("name", ["left-pad", "@acme/widget", "a.b_c~d", "x", "@a/b-c.d", "9"])
def test_names_npm_accepts(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Left-Pad",
        ".hidden",
        "_private",
        "a/b",
        "@scope",
        "@scope/",
        "@/x",
        "..",
        "a b",
        "node_modules",
        "x" * 215,
        "@a/../b",
        "a%2fb",
        "é",
    ],
)
def test_names_npm_refuses(name: str) -> None:
    with pytest.raises(NameInvalid):
        validate_name(name)


def test_legacy_names_are_read_but_path_segments_never() -> None:
    assert readable_name("JSONStream") == "JSONStream"
    for name in ("..", ".", "a/b/c", "@x/..", ""):
        with pytest.raises(NameInvalid):
            readable_name(name)


def test_versions_tags_and_file_names() -> None:
    assert validate_version("1.2.3-rc.1+build.5") == "1.2.3-rc.1+build.5"
    for bad in ("1.2", "v1.2.3", "01.2.3", "1.2.3-", "latest"):
        with pytest.raises(BadRequest):
            validate_version(bad)
    assert validate_tag("next") == "next"
    for bad in ("1.2.3", "v1.0.0", "", "a/b"):
        with pytest.raises(BadRequest):
            validate_tag(bad)
    assert tarball_filename("@acme/widget", "2.0.0") == "widget-2.0.0.tgz"
    assert version_of_filename("@acme/widget", "widget-2.0.0-beta.1.tgz") == "2.0.0-beta.1"
    assert version_of_filename("left-pad", "left-pad-1.0.tgz") is None
    assert version_of_filename("left-pad", "other-1.0.0.tgz") is None


def test_a_tarballs_package_json_is_read(tmp_path: Path) -> None:
    path = tmp_path / "x.tgz"
    path.write_bytes(tarball("x", "1.0.0", {"lib/index.js": b"1"}))
    assert read_package_json(str(path)) == {"name": "x", "version": "1.0.0"}


def test_unreadable_tarballs_say_why(tmp_path: Path) -> None:
    path = tmp_path / "x.tgz"
    path.write_bytes(b"not gzip")
    with pytest.raises(TarballUnreadable, match="not a gzipped tarball"):
        read_package_json(str(path))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/README")
        archive.addfile(info, io.BytesIO(b""))
    path.write_bytes(raw.getvalue())
    with pytest.raises(TarballUnreadable, match=r"no package/package\.json"):
        read_package_json(str(path))


def test_a_tarball_is_inflated_only_so_far(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gzip bomb: more inflated bytes than allowed before its package.json."""
    monkeypatch.setattr(tarballs, "MAX_INFLATED", 1024 * 1024)
    path = tmp_path / "bomb.tgz"
    path.write_bytes(tarball("x", "1.0.0", {"big.bin": b"\0" * (2 * 1024 * 1024)}, first=True))
    with pytest.raises(TarballUnreadable, match="inflates past"):
        read_package_json(str(path))
    monkeypatch.setattr(tarballs, "MAX_INFLATED", 4 * 1024 * 1024)
    assert read_package_json(str(path)) == {"name": "x", "version": "1.0.0"}


def test_advisory_ranges_in_npms_words() -> None:
    def affected(*events: tuple[str, str], versions: tuple[str, ...] = ()) -> Affected:
        return Affected("npm", "x", None, (Range("SEMVER", events),), versions)  # type: ignore[arg-type]

    assert vulnerable_versions(affected(("introduced", "0"), ("fixed", "1.2.3"))) == "<1.2.3"
    assert (
        vulnerable_versions(affected(("introduced", "1.0.0"), ("last_affected", "1.4.0")))
        == ">=1.0.0 <=1.4.0"
    )
    assert vulnerable_versions(affected(("introduced", "2.0.0"))) == ">=2.0.0"
    assert vulnerable_versions(affected(versions=("0.0.1",))) == "0.0.1"
