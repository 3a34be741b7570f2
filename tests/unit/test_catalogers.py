"""Catalogers on real packages (tests/fixtures, see cataloger_fixtures) put together as
images hold them: a dpkg status of several packages, nested node_modules, a renamed jar, a
shaded jar; the components each must find are the fixtures' own .expected.json. Each fixture
on its own is walked in test_catalogers_fixtures."""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass

from cargohold.analysis.catalogers import CATALOGERS, dpkg, golang, java, npm, python
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


def expected_facts(*fixtures: str) -> list[fx.Facts]:
    return [e.facts() for name in fixtures for e in fx.expected(name)]


def test_catalogers_are_listed_once_with_a_version() -> None:
    names = [c.name for c in CATALOGERS]
    assert len(names) == len(set(names))
    assert all(c.version and (c.patterns or c.magic) for c in CATALOGERS)


def test_dpkg_status_reports_installed_packages_with_their_source() -> None:
    installed = (fx.ZLIB1G, fx.PYTHON3_ALL, fx.MEDIA_TYPES)
    status = "\n".join(
        [
            *(
                fx.deb_control(name).replace(
                    "\nVersion:", "\nStatus: install ok installed\nVersion:", 1
                )
                for name in installed
            ),
            fx.deb_control(fx.MIME_SUPPORT).replace(
                "\nVersion:", "\nStatus: deinstall ok config-files\nVersion:", 1
            ),
        ]
    )
    found = list(dpkg.parse(Entry("var/lib/dpkg/status", status.encode())))
    # What the .deb files say of themselves, in the order of the status file; the package
    # removed with its configuration kept is no component.
    assert [fx.facts(c) for c in found] == expected_facts(*installed)
    assert {(c.cataloger, c.evidence) for c in found} == {("dpkg", f"{LAYER}!/var/lib/dpkg/status")}


def test_dpkg_status_d_of_distroless_images_has_no_status_field() -> None:
    entry = Entry("var/lib/dpkg/status.d/zlib1g", fx.deb_control(fx.ZLIB1G).encode())
    assert [fx.facts(c) for c in dpkg.parse(entry)] == expected_facts(fx.ZLIB1G)
    md5sums = Entry("var/lib/dpkg/status.d/zlib1g.md5sums", b"abc  usr/lib/x\n")
    assert list(dpkg.parse(md5sums)) == []


def test_installed_egg_info_and_normalized_names() -> None:
    data = b"Metadata-Version: 1.1\nName: Zope.Interface\nVersion: 5.0\nLicense: ZPL 2.1\n"
    path = "usr/lib/python3/dist-packages/Zope.Interface-5.0.egg-info/PKG-INFO"
    found = list(python.parse(Entry(path, data)))
    assert summary(found) == [("zope-interface", "5.0", "pkg:pypi/zope-interface@5.0")]
    assert found[0].licenses == ("ZPL 2.1",)
    assert list(python.parse(Entry("opt/app/docs/PKG-INFO", data))) == []


def _package_json(name: str) -> bytes:
    with tarfile.open(fx.fixture(name)) as archive:
        return archive.extractfile("package/package.json").read()  # type: ignore[union-attr]


def test_npm_node_modules_with_nested_second_versions_and_scopes() -> None:
    entries = [
        Entry("app/node_modules/semver/package.json", _package_json(fx.SEMVER_7)),
        Entry(
            "app/node_modules/make-dir/node_modules/semver/package.json",
            _package_json(fx.SEMVER_6),
        ),
        Entry(
            "app/node_modules/@babel/code-frame/package.json",
            _package_json(fx.BABEL_CODE_FRAME),
        ),
        # not installed packages: the project itself and a file deeper inside a package
        Entry("app/package.json", _package_json(fx.SEMVER_7)),
        Entry("app/node_modules/semver/dist/package.json", _package_json(fx.SEMVER_7)),
    ]
    found = [c for entry in entries for c in npm.parse(entry)]
    assert [fx.facts(c) for c in found] == expected_facts(
        fx.SEMVER_7, fx.SEMVER_6, fx.BABEL_CODE_FRAME
    )
    assert [c.evidence for c in found] == [e.evidence for e in entries[:3]]


def _jar(name: str, path: str) -> Entry:
    return Entry(path, fx.fixture(name).read_bytes())


def test_jar_without_pom_properties_is_named_by_its_contents_not_its_file_name() -> None:
    renamed = _jar(fx.HAMCREST, "opt/lib/hamcrest-9.9.jar")
    assert [fx.facts(c) for c in java.parse(renamed)] == expected_facts(fx.HAMCREST)


def test_shaded_jar_reports_every_pom_properties() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as fat:
        for name in (fx.LOG4J_JCL, fx.LOG4J_TO_SLF4J):
            with zipfile.ZipFile(fx.fixture(name)) as inner:
                for member in inner.namelist():
                    if member.endswith("pom.properties"):
                        fat.writestr(member, inner.read(member))
    found = list(java.parse(Entry("app.jar", buffer.getvalue())))
    assert [fx.facts(c) for c in found] == expected_facts(fx.LOG4J_JCL, fx.LOG4J_TO_SLF4J)
    assert {c.evidence for c in found} == {f"{LAYER}!/app.jar"}


def test_an_elf_file_without_go_build_information_is_no_go_binary() -> None:
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
