"""A remote npm repository's rows of a package made to say what its upstream says, in one
transaction: versions added and updated, those gone upstream dropped unless their tarball is
cached, dist-tags replaced."""

from __future__ import annotations

import pytest

from cargohold.meta.store import MetadataStore
from cargohold.records.packages import PackageFile, PackageVersion, package_path
from tests.contract.metadata.examples import file, repository


@pytest.fixture(autouse=True)
def repositories(meta: MetadataStore) -> None:
    repository(meta, "npm-remote", format="npm")


def version(
    number: str, document: str = '{"dist": {}}', yanked: str | None = None
) -> PackageVersion:
    return PackageVersion("npm-remote", "left-pad", number, 100.0, "upstream", yanked, document)


def tags(meta: MetadataStore) -> dict[str, str]:
    return {t.tag: t.version for t in meta.packages.tags("npm-remote", "left-pad")}


def test_the_upstreams_versions_and_tags_replace_what_was_mirrored(meta: MetadataStore) -> None:
    meta.packages.mirror(
        "npm-remote", "left-pad", [version("1.0.0"), version("1.1.0")], {"latest": "1.1.0"}
    )
    assert [v.version for v in meta.packages.versions("npm-remote", "left-pad")] == [
        "1.0.0",
        "1.1.0",
    ]
    assert tags(meta) == {"latest": "1.1.0"}

    changed = version("1.0.0", '{"dist": {"integrity": "x"}}', yanked="do not use")
    meta.packages.mirror(
        "npm-remote", "left-pad", [changed, version("2.0.0")], {"latest": "2.0.0", "old": "1.1.0"}
    )
    assert meta.packages.versions("npm-remote", "left-pad") == [changed, version("2.0.0")]
    assert tags(meta) == {"latest": "2.0.0"}  # 1.1.0 is gone upstream and was not cached


def test_a_version_whose_tarball_is_cached_stays_when_the_upstream_drops_it(
    meta: MetadataStore,
) -> None:
    meta.packages.mirror("npm-remote", "left-pad", [version("1.0.0")], {"latest": "1.0.0"})
    record = file("npm-remote", package_path("left-pad", "1.0.0", "left-pad-1.0.0.tgz"), "tgz")
    cached = PackageFile(record, "left-pad", "1.0.0", "left-pad-1.0.0.tgz")
    meta.packages.publish(version("1.0.0"), [cached], overwrite=False)
    meta.packages.mirror(
        "npm-remote", "left-pad", [version("2.0.0")], {"latest": "2.0.0", "v1": "1.0.0"}
    )
    assert [v.version for v in meta.packages.versions("npm-remote", "left-pad")] == [
        "1.0.0",
        "2.0.0",
    ]
    assert tags(meta) == {"latest": "2.0.0", "v1": "1.0.0"}
    assert meta.packages.files("npm-remote", "left-pad", "1.0.0") == [cached]
