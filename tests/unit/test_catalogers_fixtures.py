"""Every fixture of tests/fixtures (kept there, or built from sources kept there) put in an
image layer and walked as a scan walks it: the catalogers find exactly the components its
``.expected.json`` lists, where it lists them, and nothing else. Every file kept there is
accounted for: where it came from (refresh.SOURCES and README.md), or what it builds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cargohold.analysis.catalogers import CATALOGERS
from cargohold.analysis.layered import index_file
from cargohold.analysis.unpack import Limits, walk
from tests.fixtures.refresh import SOURCES
from tests.unit import cataloger_fixtures as fx
from tests.unit.test_catalogers import LAYER, Entry

Row = tuple[fx.Facts, str, str]  # facts, cataloger, evidence


def _evidence(at: str, path: str) -> str:
    return f"{LAYER}!/{at}" + (f"!/{path}" if path else "")


@pytest.mark.parametrize("name", fx.expectations())
def test_the_catalogers_find_exactly_the_expected_components(name: str, tmp_path: Path) -> None:
    expectation = fx.expectation(name)
    entry = Entry(expectation.at, fx.fixture(name).read_bytes())

    inventory = walk([entry], CATALOGERS, Limits(), tmp_dir=tmp_path)

    assert inventory.complete, inventory.incomplete
    found: list[Row] = [(fx.facts(c), c.cataloger, c.evidence) for c in inventory.components]
    wanted: list[Row] = [
        (e.facts(), e.cataloger, _evidence(expectation.at, e.path)) for e in expectation.components
    ]
    assert sorted(found, key=repr) == sorted(wanted, key=repr)


def test_the_fixtures_are_the_ones_the_tests_expect() -> None:
    names = fx.expectations()
    # Every ecosystem has its folder, and each fixture says what it exercises.
    assert {name.split("/")[0] for name in names} == {"debian", "go", "maven", "npm", "pypi", "rpm"}
    assert all(fx.expectation(name).exercises for name in names)
    # The names the tests use have expectations.
    named = [fx.ZLIB1G, fx.PYTHON3_ALL, fx.MEDIA_TYPES, fx.MIME_SUPPORT, fx.LOG4J_JCL, fx.HAMCREST]
    named += [fx.LOG4J_TO_SLF4J, fx.URLLIB3_WHEEL, fx.SEMVER_7, fx.SEMVER_6, fx.BABEL_CODE_FRAME]
    named += [fx.RPM_HELLO, fx.RPM_HELLO_LIBS, fx.RPM_HELLO_SOURCE, fx.RPM_TOOL, fx.RPMDB]
    assert set(named) <= set(names)


def test_every_kept_file_is_accounted_for() -> None:
    kept = {
        p.relative_to(fx.FIXTURES).as_posix()
        for p in fx.FIXTURES.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        # the previous release's data for the upgrade test, made by its own make.py
        and p.relative_to(fx.FIXTURES).parts[0] != "upgrade"
    }
    own = {"README.md", "refresh.py", "__init__.py", ".gitattributes"}
    expectations = {f"{name}.expected.json" for name in fx.expectations()}
    built_from = {p for p in kept if p.startswith("go/") or p.endswith(".spec")}
    fetched = {source.path for source in SOURCES}
    assert kept - own - expectations - built_from == fetched
    # A kept package has its expectations (the other files are copyright and license texts
    # of packages that do not carry their own).
    packages = {p for p in fetched if p.endswith((".deb", ".jar", ".whl", ".tar.gz", ".tgz"))}
    assert {f"{p}.expected.json" for p in packages} <= expectations
    # The README says where each came from.
    readme = (fx.FIXTURES / "README.md").read_text()
    assert [p for p in sorted(fetched) if p.rsplit("/", 1)[-1] not in readme] == []


SDISTS = [n for n in fx.expectations() if n.startswith("pypi/") and n.endswith(".tar.gz")]


@pytest.mark.parametrize("name", SDISTS)
def test_an_sdist_is_a_package_whatever_it_is_stored_as(name: str, tmp_path: Path) -> None:
    """A scan names a stored file by its digest, and a generic repository keeps it under any
    name: an sdist's component is found all the same, and once."""
    data = fx.fixture(name).read_bytes()
    stored = tmp_path / "stored"
    stored.write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()

    inventory = index_file(stored, "download", digest, CATALOGERS, Limits(), tmp_path)

    found = [(fx.facts(c), c.evidence) for c in inventory.components]
    wanted = [(e.facts(), f"{digest}!/{e.path}") for e in fx.expectation(name).components]
    assert found == wanted
    assert len(SDISTS) >= 5  # one per build backend's layout, and packaging's
