"""Package versions: a version and its files become visible together, a file that exists is
refused unless the repository allows overwriting, and deleting a version takes its files,
tags and properties with it."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from cargohold.core.errors import Conflict
from cargohold.core.properties import package_subject
from cargohold.meta.store import MetadataStore
from cargohold.records.packages import DistTag, PackageFile, PackageVersion, package_path
from tests.contract.metadata.examples import file, repository


@pytest.fixture(autouse=True)
def repositories(meta: MetadataStore) -> None:
    repository(meta, "py", format="pypi")
    repository(meta, "other", format="pypi")


def version(name: str = "six", number: str = "1.0", document: str = "{}") -> PackageVersion:
    return PackageVersion("py", name, number, 100.0, "alice", None, document)


METADATA = b"Metadata-Version: 2.1\n"


def package_file(name: str, number: str, filename: str, content: str) -> PackageFile:
    record = file("py", package_path(name, number, filename), content)
    return PackageFile(record, name, number, filename, ">=3.8", METADATA)


def listed(found: PackageFile) -> PackageFile:
    """``found`` as a listing reads it: its core metadata's hash, not its bytes."""
    metadata = found.core_metadata
    digest = None if metadata is None else hashlib.sha256(metadata).hexdigest()
    return replace(found, core_metadata=None, core_metadata_sha256=digest)


def alone(found: PackageFile) -> PackageFile:
    """``found`` as it is read by itself: with its core metadata too."""
    return replace(listed(found), core_metadata=found.core_metadata)


def test_a_version_and_its_files_read_back_together(meta: MetadataStore) -> None:
    wheel = package_file("six", "1.0", "six-1.0-py3-none-any.whl", "wheel")
    sdist = package_file("six", "1.0", "six-1.0.tar.gz", "sdist")
    assert meta.packages.publish(version(), [wheel], overwrite=False) == []
    assert meta.packages.publish(version(), [sdist], overwrite=False) == []
    assert meta.packages.names("py") == ["six"]
    assert meta.packages.versions("py", "six") == [version()]
    assert meta.packages.files("py", "six") == [listed(wheel), listed(sdist)]
    assert meta.packages.file("py", wheel.file.path) == alone(wheel)
    assert meta.generic.get("py", wheel.file.path) == wheel.file
    assert meta.packages.holders(["other", "py"], "six") == ["py"]
    assert meta.packages.names("other") == []


def test_a_file_that_exists_is_refused_unless_overwriting_is_allowed(
    meta: MetadataStore,
) -> None:
    first = package_file("six", "1.0", "six-1.0.tar.gz", "first")
    second = package_file("six", "1.0", "six-1.0.tar.gz", "second")
    meta.packages.publish(version(), [first], overwrite=False)
    with pytest.raises(Conflict, match=r"six-1\.0\.tar\.gz already exists"):
        meta.packages.publish(version(), [second], overwrite=False)
    assert meta.packages.files("py", "six") == [listed(first)]
    assert meta.packages.publish(version(), [second], overwrite=True) == [first.file]
    assert meta.packages.files("py", "six") == [listed(second)]


def test_a_new_version_that_exists_is_refused_whole(meta: MetadataStore) -> None:
    tarball = package_file("left-pad", "1.0", "left-pad-1.0.tgz", "one")
    meta.packages.publish(
        version("left-pad"), [tarball], overwrite=False, new_version=True, tags={"latest": "1.0"}
    )
    again = package_file("left-pad", "1.0", "other.tgz", "two")
    with pytest.raises(Conflict, match="already published"):
        meta.packages.publish(version("left-pad"), [again], overwrite=False, new_version=True)
    assert meta.packages.files("py", "left-pad") == [listed(tarball)]
    assert meta.packages.tags("py", "left-pad") == [DistTag("py", "left-pad", "latest", "1.0")]


def test_tags_point_only_at_versions_there(meta: MetadataStore) -> None:
    meta.packages.publish(version(), [package_file("six", "1.0", "a.tgz", "a")], overwrite=False)
    with pytest.raises(Conflict):
        meta.packages.set_tag(DistTag("py", "six", "next", "2.0"))
    meta.packages.set_tag(DistTag("py", "six", "next", "1.0"))
    assert [t.tag for t in meta.packages.tags("py", "six")] == ["next"]
    assert meta.packages.remove_tag("py", "six", "next")
    assert not meta.packages.remove_tag("py", "six", "next")


def test_yanking_marks_versions_and_can_be_undone(meta: MetadataStore) -> None:
    meta.packages.publish(version(), [package_file("six", "1.0", "a.tgz", "a")], overwrite=False)
    assert meta.packages.yank("py", "six", {"1.0": "broken", "9.9": "none"}) == 1
    found = meta.packages.version("py", "six", "1.0")
    assert found is not None and found.yanked == "broken"
    assert meta.packages.yank("py", "six", {"1.0": None}) == 1
    found = meta.packages.version("py", "six", "1.0")
    assert found is not None and found.yanked is None


def test_deleting_a_version_takes_its_files_tags_and_properties(meta: MetadataStore) -> None:
    one = package_file("six", "1.0", "six-1.0.tar.gz", "one")
    two = package_file("six", "2.0", "six-2.0.tar.gz", "two")
    meta.packages.publish(
        version(), [one], overwrite=False, tags={"latest": "1.0", "stable": "1.0"}
    )
    meta.packages.publish(version(number="2.0"), [two], overwrite=False)
    meta.properties.set("py", package_subject("six", "1.0"), {"qa": ["passed"]})
    gone = meta.packages.delete("py", "six", "1.0")
    assert [v.version for v in gone] == ["1.0"]
    assert meta.packages.files("py", "six") == [listed(two)]
    assert meta.generic.get("py", one.file.path) is None
    # the tags that pointed at it go; latest points at what is left
    assert meta.packages.tags("py", "six") == [DistTag("py", "six", "latest", "2.0")]
    assert meta.properties.get("py", package_subject("six", "1.0")) == {}
    assert meta.packages.delete("py", "six", "1.0") == []
    assert [v.version for v in meta.packages.delete("py", "six")] == ["2.0"]
    assert meta.packages.names("py") == []


def test_deleting_the_version_latest_points_at_moves_latest_to_the_newest_left(
    meta: MetadataStore,
) -> None:
    for number, at in (("1.0.0", 100.0), ("1.1.0", 200.0), ("1.2.0", 300.0)):
        released = replace(version("lib", number), created_at=at)
        meta.packages.publish(
            released,
            [package_file("lib", number, f"lib-{number}.tgz", number)],
            overwrite=False,
            tags={"latest": number},
        )
    meta.packages.set_tag(DistTag("py", "lib", "next", "1.2.0"))
    meta.packages.delete("py", "lib", "1.2.0")  # npm installs `latest` by default
    assert meta.packages.tags("py", "lib") == [DistTag("py", "lib", "latest", "1.1.0")]
    meta.packages.delete("py", "lib", "1.0.0")  # not latest's: latest stays
    assert meta.packages.tags("py", "lib") == [DistTag("py", "lib", "latest", "1.1.0")]


def test_a_promoted_version_leaves_the_targets_dist_tags_as_they_are(
    meta: MetadataStore,
) -> None:
    meta.packages.publish(
        version("lib", "2.0.0"),
        [package_file("lib", "2.0.0", "lib-2.0.0.tgz", "two")],
        overwrite=False,
        tags={"latest": "2.0.0"},
    )
    meta.packages.publish(
        replace(version("lib", "1.0.1"), repository="other"),
        [replace_repository(package_file("lib", "1.0.1", "lib-1.0.1.tgz", "hotfix"), "other")],
        overwrite=False,
        tags={"latest": "1.0.1", "hotfix": "1.0.1"},
    )
    meta.package_promotions.transfer(
        "other",
        "py",
        "lib",
        "1.0.1",
        move=False,
        by="alice",
        now=300.0,
        properties={},
        records=[],
    )
    assert {t.tag: t.version for t in meta.packages.tags("py", "lib")} == {
        "latest": "2.0.0",  # a hotfix promoted to prod does not take latest back
        "hotfix": "1.0.1",
    }


def replace_repository(found: PackageFile, repository: str) -> PackageFile:
    return replace(found, file=replace(found.file, repository=repository))
