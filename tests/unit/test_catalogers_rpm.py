"""The rpm catalogers on real rpms and a real rpm database, built by rpmbuild and rpm (see
cataloger_fixtures): exact components, purls, licenses and sources."""

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

HELLO = "hello-1.2.3-4.el9.noarch.rpm"
HELLO_LIBS = "hello-libs-1.2.3-4.el9.noarch.rpm"
HELLO_SRPM = "hello-1.2.3-4.el9.src.rpm"
TOOL = "tool-0.9-1.noarch.rpm"


def _rpm_entry(file_name: str, path: str | None = None) -> Entry:
    return Entry(path or f"repo/{file_name}", fx.rpm(file_name).read_bytes())


def facts(found: list[Component]) -> list[tuple[object, ...]]:
    return [
        (c.name, c.version, c.purl, c.ecosystem, c.licenses, c.source_name, c.source_version)
        for c in found
    ]


def test_an_rpm_file_with_an_epoch_a_vendor_and_a_source_of_another_name() -> None:
    found = list(rpm.parse_file(_rpm_entry(HELLO_LIBS)))
    assert facts(found) == [
        (
            "hello-libs",
            "2:1.2.3-4.el9",
            "pkg:rpm/rocky/hello-libs@1.2.3-4.el9"
            "?arch=noarch&epoch=2&upstream=hello-1.2.3-4.el9.src.rpm",
            "Rocky Linux",
            ("MIT",),
            "hello",
            "2:1.2.3-4.el9",
        )
    ]
    assert (found[0].cataloger, found[0].evidence) == (
        "rpm-file",
        f"{LAYER}!/repo/{HELLO_LIBS}",
    )


def test_an_rpm_file_named_after_its_source_keeps_its_spdx_expression() -> None:
    assert facts(list(rpm.parse_file(_rpm_entry(HELLO)))) == [
        (
            "hello",
            "2:1.2.3-4.el9",
            "pkg:rpm/rocky/hello@1.2.3-4.el9?arch=noarch&epoch=2",
            "Rocky Linux",
            ("MIT AND (BSD-3-Clause OR GPL-2.0-only)",),
            "hello",
            "2:1.2.3-4.el9",
        )
    ]


def test_an_rpm_without_epoch_or_vendor_has_no_namespace_and_falls_back_to_red_hat() -> None:
    assert facts(list(rpm.parse_file(_rpm_entry(TOOL)))) == [
        ("tool", "0.9-1", "pkg:rpm/tool@0.9-1?arch=noarch", "Red Hat", ("ISC",), "tool", "0.9-1")
    ]


def test_a_source_rpm_is_its_own_source_with_arch_src() -> None:
    assert facts(list(rpm.parse_file(_rpm_entry(HELLO_SRPM)))) == [
        (
            "hello",
            "2:1.2.3-4.el9",
            "pkg:rpm/rocky/hello@1.2.3-4.el9?arch=src&epoch=2",
            "Rocky Linux",
            ("MIT AND (BSD-3-Clause OR GPL-2.0-only)",),
            "hello",
            "2:1.2.3-4.el9",
        )
    ]


def test_an_rpm_is_told_by_its_lead_not_its_name(tmp_path: Path) -> None:
    renamed = _rpm_entry(TOOL, path="downloads/tool.bin")
    inventory = walk([renamed], CATALOGERS, Limits(), tmp_dir=tmp_path)
    assert [c.purl for c in inventory.components] == ["pkg:rpm/tool@0.9-1?arch=noarch"]
    assert list(rpm.parse_file(Entry("repo/notes.rpm", b"not an rpm at all"))) == []


def test_a_damaged_rpm_header_is_an_error_not_an_empty_result() -> None:
    data = fx.rpm(HELLO).read_bytes()
    main = data.index(b"\x8e\xad\xe8\x01", 96 + 4)  # the magic of the header after the signature
    with pytest.raises(rpm.HeaderError, match="truncated: the file ends at byte 200"):
        list(rpm.parse_file(Entry("repo/cut.rpm", data[:200])))
    with pytest.raises(rpm.HeaderError, match="runs past the end"):
        list(rpm.parse_file(Entry("repo/cut.rpm", data[: main + 100])))


@pytest.mark.parametrize("path", ["var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"])
def test_the_rpm_database_lists_installed_packages_but_not_signing_keys(path: str) -> None:
    database = fx.rpmdb()
    # rpm recorded three headers: the two packages and the imported key's gpg-pubkey.
    assert len(list(rpm.header_blobs(database))) == 3
    found = list(rpm.parse_database(Entry(path, database.read_bytes())))
    assert sorted(facts(found)) == [
        (
            "hello",
            "2:1.2.3-4.el9",
            "pkg:rpm/rocky/hello@1.2.3-4.el9?arch=noarch&epoch=2",
            "Rocky Linux",
            ("MIT AND (BSD-3-Clause OR GPL-2.0-only)",),
            "hello",
            "2:1.2.3-4.el9",
        ),
        (
            "hello-libs",
            "2:1.2.3-4.el9",
            "pkg:rpm/rocky/hello-libs@1.2.3-4.el9"
            "?arch=noarch&epoch=2&upstream=hello-1.2.3-4.el9.src.rpm",
            "Rocky Linux",
            ("MIT",),
            "hello",
            "2:1.2.3-4.el9",
        ),
    ]
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
    files = {
        f"srv/repo/{HELLO_LIBS}": fx.rpm(HELLO_LIBS).read_bytes(),
        "rootfs/var/lib/rpm/rpmdb.sqlite": fx.rpmdb().read_bytes(),
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
        ("rpm-file", "hello-libs", "2:1.2.3-4.el9", f"{outer}!/srv/repo/{HELLO_LIBS}"),
        ("rpmdb", "hello", "2:1.2.3-4.el9", f"{outer}!/rootfs/var/lib/rpm/rpmdb.sqlite"),
        ("rpmdb", "hello-libs", "2:1.2.3-4.el9", f"{outer}!/rootfs/var/lib/rpm/rpmdb.sqlite"),
    ]
