"""The rpm catalogers on real rpms and a real rpm database, built by rpmbuild and rpm from
the specs in tests/fixtures/rpm (see cataloger_fixtures): found by their lead, not their name;
damaged headers; the rpm database read where images keep it; the vendor table. What each rpm
and the database hold is their .expected.json, walked in test_catalogers_fixtures."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from cargohold.analysis.catalogers import CATALOGERS, rpm
from cargohold.analysis.model import Component
from cargohold.analysis.unpack import Limits, walk
from tests.unit import cataloger_fixtures as fx
from tests.unit.test_catalogers import LAYER, Entry


def _rpm_entry(name: str, path: str) -> Entry:
    return Entry(path, fx.fixture(name).read_bytes())


def facts(found: list[Component]) -> list[fx.Facts]:
    return sorted((fx.facts(c) for c in found), key=repr)


def test_an_rpm_is_told_by_its_lead_not_its_name(tmp_path: Path) -> None:
    renamed = _rpm_entry(fx.RPM_TOOL, "downloads/tool.bin")
    inventory = walk([renamed], CATALOGERS, Limits(), tmp_dir=tmp_path)
    assert facts(list(inventory.components)) == [e.facts() for e in fx.expected(fx.RPM_TOOL)]
    assert list(rpm.parse_file(Entry("repo/notes.rpm", b"not an rpm at all"))) == []


def test_a_damaged_rpm_header_is_an_error_not_an_empty_result() -> None:
    data = fx.fixture(fx.RPM_HELLO).read_bytes()
    main = data.index(b"\x8e\xad\xe8\x01", 96 + 4)  # the magic of the header after the signature
    with pytest.raises(rpm.HeaderError, match="truncated: the file ends at byte 200"):
        list(rpm.parse_file(Entry("repo/cut.rpm", data[:200])))
    with pytest.raises(rpm.HeaderError, match="runs past the end"):
        list(rpm.parse_file(Entry("repo/cut.rpm", data[: main + 100])))


@pytest.mark.parametrize("path", ["var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"])
def test_the_rpm_database_lists_installed_packages_but_not_signing_keys(path: str) -> None:
    database = fx.fixture(fx.RPMDB)
    # rpm recorded three headers: the two packages and the imported key's gpg-pubkey.
    assert len(list(rpm.header_blobs(database))) == 3
    found = list(rpm.parse_database(Entry(path, database.read_bytes())))
    assert facts(found) == sorted((e.facts() for e in fx.expected(fx.RPMDB)), key=repr)
    assert {(c.cataloger, c.evidence) for c in found} == {("rpmdb", f"{LAYER}!/{path}")}


def test_a_file_that_is_no_rpm_database_is_an_error() -> None:
    with pytest.raises(rpm.HeaderError, match="not a readable rpm database"):
        list(rpm.parse_database(Entry("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\x00junk")))


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        ("Red Hat, Inc.", ("Red Hat", "redhat")),
        ("CentOS", ("Red Hat", "centos")),
        ("Rocky Enterprise Software Foundation", ("Rocky Linux", "rocky")),
        ("AlmaLinux", ("AlmaLinux", "almalinux")),
        ("openSUSE", ("openSUSE", "opensuse")),
        ("SUSE LLC <https://www.suse.com/>", ("SUSE", "suse")),
        ("Fedora Project", ("Red Hat", "fedora")),
        ("Acme Corp.", ("Red Hat", "acme")),
        (None, ("Red Hat", None)),
    ],
)
def test_the_vendor_chooses_the_advisory_ecosystem_and_the_purl_namespace(
    vendor: str | None, expected: tuple[str, str | None]
) -> None:
    assert rpm.ecosystem_and_namespace(vendor) == expected


def test_the_walk_finds_an_rpm_and_an_rpm_database_inside_a_tar_gz(tmp_path: Path) -> None:
    libs = fx.RPM_HELLO_LIBS.removeprefix("rpm/")
    files = {
        f"srv/repo/{libs}": fx.fixture(fx.RPM_HELLO_LIBS).read_bytes(),
        "rootfs/var/lib/rpm/rpmdb.sqlite": fx.fixture(fx.RPMDB).read_bytes(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    bundle = Entry("uploads/bundle.tar.gz", buffer.getvalue())
    inventory = walk([bundle], CATALOGERS, Limits(), tmp_dir=tmp_path)
    assert inventory.complete, inventory.incomplete
    outer = f"{LAYER}!/uploads/bundle.tar.gz"
    assert sorted((c.cataloger, c.name, c.version, c.evidence) for c in inventory.components) == [
        ("rpm-file", "hello-libs", "2:1.2.3-4.el9", f"{outer}!/srv/repo/{libs}"),
        ("rpmdb", "hello", "2:1.2.3-4.el9", f"{outer}!/rootfs/var/lib/rpm/rpmdb.sqlite"),
        ("rpmdb", "hello-libs", "2:1.2.3-4.el9", f"{outer}!/rootfs/var/lib/rpm/rpmdb.sqlite"),
    ]
