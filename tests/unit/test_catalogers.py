"""Catalogers on real packages (see cataloger_fixtures): exact components, purls, sources."""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cargohold.analysis.catalogers import (
    CATALOGERS,
    deb_package,
    dpkg,
    golang,
    java,
    npm,
    python,
)
from cargohold.analysis.model import NESTED, Component
from tests.unit import cataloger_fixtures as fx

LAYER = "sha256:" + "a" * 64


@dataclass(frozen=True)
class Entry:
    path: str
    data: bytes
    outer: str = LAYER
    mode: int = 0o644

    @property
    def evidence(self) -> str:
        return f"{self.outer}{NESTED}{self.path}"

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, limit: int | None = None) -> bytes:
        return self.data if limit is None else self.data[:limit]


def summary(found: list[Component]) -> list[tuple[str, str, str]]:
    return [(c.name, c.version, c.purl) for c in found]


def test_catalogers_are_listed_once_with_a_version() -> None:
    names = [c.name for c in CATALOGERS]
    assert len(names) == len(set(names))
    assert all(c.version and (c.patterns or c.magic) for c in CATALOGERS)


def test_dpkg_status_reports_installed_packages_with_their_source() -> None:
    installed = [fx.deb_control(p) for p in ("zlib1g", "libgcc-s1", "fzf")]
    removed = fx.deb_control("libhamcrest-java")
    status = "\n".join(
        [
            *(
                text.replace("\nVersion:", "\nStatus: install ok installed\nVersion:", 1)
                for text in installed
            ),
            removed.replace("\nVersion:", "\nStatus: deinstall ok config-files\nVersion:", 1),
        ]
    )
    found = list(dpkg.parse(Entry("var/lib/dpkg/status", status.encode())))
    assert summary(found) == [
        (
            "zlib1g",
            "1:1.2.13.dfsg-1",
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib",
        ),
        (
            "libgcc-s1",
            "12.2.0-14+deb12u1",
            "pkg:deb/debian/libgcc-s1@12.2.0-14%2Bdeb12u1?arch=amd64&upstream=gcc-12",
        ),
        (
            "fzf",
            "0.38.0-1+b1",
            "pkg:deb/debian/fzf@0.38.0-1%2Bb1?arch=amd64&upstream=fzf%400.38.0-1",
        ),
    ]
    assert [(c.source_name, c.source_version) for c in found] == [
        ("zlib", "1:1.2.13.dfsg-1"),
        ("gcc-12", "12.2.0-14+deb12u1"),
        ("fzf", "0.38.0-1"),
    ]
    assert {(c.ecosystem, c.evidence, c.cataloger) for c in found} == {
        ("Debian", f"{LAYER}!/var/lib/dpkg/status", "dpkg")
    }


def test_dpkg_status_d_of_distroless_images_has_no_status_field() -> None:
    entry = Entry("var/lib/dpkg/status.d/zlib1g", fx.deb_control("zlib1g").encode())
    assert [(c.name, c.source_name) for c in dpkg.parse(entry)] == [("zlib1g", "zlib")]
    md5sums = Entry("var/lib/dpkg/status.d/zlib1g.md5sums", b"abc  usr/lib/x\n")
    assert list(dpkg.parse(md5sums)) == []


def test_deb_file_reports_its_control_metadata() -> None:
    path = fx.deb("fzf")
    found = list(deb_package.parse(Entry(f"pool/{path.name}", path.read_bytes())))
    assert summary(found) == [
        (
            "fzf",
            "0.38.0-1+b1",
            "pkg:deb/debian/fzf@0.38.0-1%2Bb1?arch=amd64&upstream=fzf%400.38.0-1",
        )
    ]
    assert found[0].source_version == "0.38.0-1"


def test_wheel_metadata_found_inside_the_wheel() -> None:
    wheel = fx.pypi("packaging==24.1", sdist=False)
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read("packaging-24.1.dist-info/METADATA")
    outer = f"{LAYER}{NESTED}wheels/{wheel.name}"
    found = list(python.parse(Entry("packaging-24.1.dist-info/METADATA", data, outer=outer)))
    assert summary(found) == [("packaging", "24.1", "pkg:pypi/packaging@24.1")]
    assert found[0].licenses == ("Apache Software License", "BSD License")
    assert found[0].evidence == f"{outer}!/packaging-24.1.dist-info/METADATA"


def test_sdist_counts_once_from_its_top_pkg_info() -> None:
    sdist = fx.pypi("packaging==24.1", sdist=True)
    outer = f"{LAYER}{NESTED}src/{sdist.name}"
    found: list[Component] = []
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if member.name.endswith("PKG-INFO"):
                data = archive.extractfile(member).read()  # type: ignore[union-attr]
                found += python.parse(Entry(member.name, data, outer=outer))
    assert summary(found) == [("packaging", "24.1", "pkg:pypi/packaging@24.1")]
    assert found[0].evidence == f"{outer}!/packaging-24.1/PKG-INFO"


def test_installed_egg_info_and_normalized_names() -> None:
    data = b"Metadata-Version: 1.1\nName: Zope.Interface\nVersion: 5.0\nLicense: ZPL 2.1\n"
    path = "usr/lib/python3/dist-packages/Zope.Interface-5.0.egg-info/PKG-INFO"
    found = list(python.parse(Entry(path, data)))
    assert summary(found) == [("zope-interface", "5.0", "pkg:pypi/zope-interface@5.0")]
    assert found[0].licenses == ("ZPL 2.1",)
    assert list(python.parse(Entry("opt/app/docs/PKG-INFO", data))) == []


def _package_json(spec: str) -> bytes:
    with tarfile.open(fx.npm(spec)) as archive:
        return archive.extractfile("package/package.json").read()  # type: ignore[union-attr]


def test_npm_node_modules_with_nested_second_versions_and_scopes() -> None:
    entries = [
        Entry("app/node_modules/semver/package.json", _package_json("semver@7.6.2")),
        Entry("app/node_modules/x/node_modules/semver/package.json", _package_json("semver@6.3.1")),
        Entry(
            "app/node_modules/@babel/code-frame/package.json",
            _package_json("@babel/code-frame@7.24.7"),
        ),
        # not installed packages: the project itself and a file deeper inside a package
        Entry("app/package.json", _package_json("semver@7.6.2")),
        Entry("app/node_modules/semver/dist/package.json", _package_json("semver@7.6.2")),
    ]
    found = [c for entry in entries for c in npm.parse(entry)]
    assert summary(found) == [
        ("semver", "7.6.2", "pkg:npm/semver@7.6.2"),
        ("semver", "6.3.1", "pkg:npm/semver@6.3.1"),
        ("@babel/code-frame", "7.24.7", "pkg:npm/%40babel/code-frame@7.24.7"),
    ]
    assert [c.licenses for c in found] == [("ISC",), ("ISC",), ("MIT",)]
    assert {c.ecosystem for c in found} == {"npm"}


def test_npm_tarball_package_json() -> None:
    found = list(npm.parse(Entry("package/package.json", _package_json("semver@7.6.2"))))
    assert summary(found) == [("semver", "7.6.2", "pkg:npm/semver@7.6.2")]


def _jar(package: str, name: str) -> Entry:
    path = fx.deb_contents(package) / "usr/share/java" / name
    return Entry(f"usr/share/java/{name}", path.resolve().read_bytes())


def test_jar_coordinates_from_pom_properties() -> None:
    found = list(java.parse(_jar("liblog4j2-java", "log4j-core.jar")))
    assert summary(found) == [
        (
            "org.apache.logging.log4j:log4j-core",
            "2.19.0",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0",
        )
    ]
    assert found[0].ecosystem == "Maven"


def test_jar_without_pom_properties_uses_its_manifest_not_its_file_name() -> None:
    jar = _jar("libhamcrest-java", "hamcrest-2.2.jar")
    renamed = Entry("opt/lib/hamcrest-9.9.jar", jar.data)
    assert summary(list(java.parse(renamed))) == [
        ("org.hamcrest:hamcrest", "2.2", "pkg:maven/org.hamcrest/hamcrest@2.2")
    ]


def test_shaded_jar_reports_every_pom_properties() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as fat:
        for name in ("log4j-api.jar", "log4j-core.jar"):
            with zipfile.ZipFile(io.BytesIO(_jar("liblog4j2-java", name).data)) as inner:
                for member in inner.namelist():
                    if member.endswith("pom.properties"):
                        fat.writestr(member, inner.read(member))
    found = list(java.parse(Entry("app.jar", buffer.getvalue())))
    assert [(c.name, c.version) for c in found] == [
        ("org.apache.logging.log4j:log4j-api", "2.19.0"),
        ("org.apache.logging.log4j:log4j-core", "2.19.0"),
    ]


def test_go_binary_build_info() -> None:
    binary: Path = fx.deb_contents("fzf") / "usr/bin/fzf"
    found = list(golang.parse(Entry("usr/bin/fzf", binary.read_bytes())))
    # Debian builds outside module mode: the toolchain is known, the main module has no version.
    assert summary(found) == [("stdlib", "1.19.8", "pkg:golang/stdlib@1.19.8")]
    assert found[0].ecosystem == "Go"
    assert list(golang.parse(Entry("usr/lib/libz.so", b"\x7fELF" + b"\0" * 64))) == []


def _varint_string(text: str) -> bytes:
    data, length, out = text.encode(), len(text.encode()), bytearray()
    while length >= 0x80:
        out.append(length & 0x7F | 0x80)
        length >>= 7
    out.append(length)
    return bytes(out) + data


def test_go_module_build_info_with_dependencies_and_a_replacement() -> None:
    # The inline layout cmd/go writes since Go 1.18, with its 16-byte sentinels.
    modinfo = (
        "path\texample.com/tool\nmod\texample.com/tool\tv1.2.3\th1:x=\n"
        "dep\tgolang.org/x/sys\tv0.3.0\th1:y=\n"
        "dep\tgithub.com/old/lib\tv1.0.0\n=>\tgithub.com/new/lib\tv1.0.1\th1:z=\n"
        "build\t-compiler=gc\n"
    )
    sentinel = b"0123456789abcdef"
    blob = (
        b"\xff Go buildinf:\x08\x02"
        + b"\0" * 16
        + _varint_string("go1.21.5")
        + _varint_string(sentinel.decode() + modinfo + sentinel.decode())
    )
    found = list(golang.parse(Entry("usr/bin/tool", b"\x7fELF" + b"\0" * 60 + blob)))
    assert summary(found) == [
        ("stdlib", "1.21.5", "pkg:golang/stdlib@1.21.5"),
        ("example.com/tool", "v1.2.3", "pkg:golang/example.com/tool@v1.2.3"),
        ("golang.org/x/sys", "v0.3.0", "pkg:golang/golang.org/x/sys@v0.3.0"),
        ("github.com/new/lib", "v1.0.1", "pkg:golang/github.com/new/lib@v1.0.1"),
    ]
