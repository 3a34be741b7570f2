"""The Go cataloger on real binaries built with the Debian toolchain from tests/fixtures/go
(tests/go_binary.py), checked against ``go version -m``: the toolchain's own reading of the
same build information."""

from __future__ import annotations

from pathlib import Path

from packageurl import PackageURL

from cargohold.analysis.catalogers import CATALOGERS
from cargohold.analysis.layered import index_file
from cargohold.analysis.model import Component
from cargohold.analysis.unpack.limits import Limits
from cargohold.analysis.vulndb.match import match
from cargohold.analysis.vulndb.osv import parse_record
from tests.go_binary import (
    BINARY,
    DEP_MODULE,
    DEP_VERSION,
    GOPATH_BINARY,
    GOPATH_PACKAGE,
    MAIN_MODULE,
    build,
    go_binary,
    printed_build_info,
    toolchain_version,
)

DIGEST = "sha256:" + "b" * 64


def cataloged(tmp_path: Path) -> list[Component]:
    """The binary through the same walk a layer gets: found by its ELF magic, not its name."""
    inventory = index_file(go_binary(), BINARY, DIGEST, CATALOGERS, Limits(), tmp_path)
    assert inventory.complete, inventory.incomplete
    return list(inventory.components)


def go_purl(path: str, version: str) -> str:
    namespace, _, name = path.rpartition("/")
    return PackageURL("golang", namespace or None, name, version).to_string()


def test_the_fixture_is_built_as_go_version_m_reports_it() -> None:
    printed = printed_build_info(go_binary())
    # What the rest relies on: a plain build of the main module, and a dependency that
    # go.mod requires at v1.2.3 but replaces by a local directory.
    assert printed.go_version == toolchain_version()
    assert printed.of("mod") == [(MAIN_MODULE, "(devel)")]
    assert printed.of("dep") == [(DEP_MODULE, DEP_VERSION)]
    assert printed.of("=>") == [("./dep", "(devel)")]
    assert ("CGO_ENABLED=0",) in printed.of("build")


def test_go_cataloger_finds_stdlib_main_module_and_the_replaced_dependency(
    tmp_path: Path,
) -> None:
    printed = printed_build_info(go_binary())
    ((main_path, main_version),) = printed.of("mod")
    ((dep_path, _),) = printed.of("dep")
    ((_, compiled_version),) = printed.of("=>")
    stdlib = toolchain_version().removeprefix("go")  # OSV names it "stdlib", without "go"
    expected = [
        ("stdlib", stdlib, go_purl("stdlib", stdlib)),
        (main_path, main_version, go_purl(main_path, main_version)),
        # Replaced by a directory: still the module example.com/dep (the directory is no
        # module path), at the version of what was compiled in, not the required v1.2.3.
        (dep_path, compiled_version, go_purl(dep_path, compiled_version)),
    ]

    found = cataloged(tmp_path)

    assert [(c.name, c.version, c.purl) for c in found] == expected
    assert expected[2][2] == "pkg:golang/example.com/dep@%28devel%29"
    # The file is the artifact here: its evidence is the artifact's digest.
    assert {(c.ecosystem, c.cataloger, c.evidence) for c in found} == {("Go", "go", DIGEST)}


def test_a_binary_built_outside_module_mode_has_only_the_toolchain(tmp_path: Path) -> None:
    binary = build(GOPATH_BINARY)
    printed = printed_build_info(binary)
    # As Debian builds Go packages (GO111MODULE=off): the package path, no module at all.
    assert printed.of("path") == [(GOPATH_PACKAGE,)]
    assert printed.of("mod") == printed.of("dep") == []
    inventory = index_file(binary, GOPATH_BINARY, DIGEST, CATALOGERS, Limits(), tmp_path)
    stdlib = printed.go_version.removeprefix("go")
    assert [(c.name, c.version, c.purl) for c in inventory.components] == [
        ("stdlib", stdlib, go_purl("stdlib", stdlib))
    ]


def test_an_advisory_on_the_locally_replaced_module_is_undecided_never_clean(
    tmp_path: Path,
) -> None:
    advisory = parse_record(
        {
            "id": "GO-2099-0001",
            "modified": "2099-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "Go", "name": DEP_MODULE},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.4"}]}
                    ],
                }
            ],
        }
    )
    matches = match(cataloged(tmp_path), [advisory])
    assert matches.findings == ()
    assert [(u.advisory, u.component.name, u.component.version) for u in matches.undecided] == [
        ("GO-2099-0001", DEP_MODULE, "(devel)")
    ]
