"""What a path of the Maven 2 layout names, and what a file name says of its classifier,
extension and snapshot build; and the metadata made from a version's files."""

from __future__ import annotations

import pytest

from cargohold.core.errors import BadRequest
from cargohold.records.generic import GenericFileRecord
from cargohold.records.packages import PackageFile
from cargohold.registry.maven.layout import FileName, Target, parse_filename, parse_path
from cargohold.registry.maven.metadata import ordered, version_metadata
from cargohold.registry.packages.names import package_name


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (
            "com/example/hello/1.0/hello-1.0.jar",
            Target("com.example", "hello", "1.0", "hello-1.0.jar"),
        ),
        (
            "com/example/hello/1.0/hello-1.0-sources.jar.sha1",
            Target("com.example", "hello", "1.0", "hello-1.0-sources.jar", "sha1"),
        ),
        (
            "com/example/hello/maven-metadata.xml.sha512",
            Target("com.example", "hello", None, "maven-metadata.xml", "sha512"),
        ),
        (
            "org/hello/1.1-SNAPSHOT/maven-metadata.xml",
            Target("org", "hello", "1.1-SNAPSHOT", "maven-metadata.xml"),
        ),
        (
            "org/hello/1.1-SNAPSHOT/hello-1.1-20261207.233037-12.module",
            Target("org", "hello", "1.1-SNAPSHOT", "hello-1.1-20261207.233037-12.module"),
        ),
    ],
)
def test_a_path_names_its_artifact_version_and_file(path: str, target: Target) -> None:
    parsed = parse_path(path)
    assert parsed == target
    if parsed.checksum is None:
        assert parsed.path == path


def test_the_package_name_is_the_layouts_path_of_group_and_artifact() -> None:
    target = parse_path("com/example/hello/1.0/hello-1.0.pom")
    assert target.name == "com/example/hello"
    assert target.coordinates == "com.example:hello:1.0"
    assert package_name("maven", "com.example:hello") == "com/example/hello"
    assert package_name("maven", "com/example/hello") == "com/example/hello"


@pytest.mark.parametrize(
    ("version", "filename", "named"),
    [
        ("1.0", "hello-1.0.jar", FileName("", "jar")),
        ("1.0", "hello-1.0-dist.tar.gz", FileName("dist", "tar.gz")),
        ("1.0", "hello-1.0.pom.asc", FileName("", "pom.asc")),
        ("1.1-SNAPSHOT", "hello-1.1-SNAPSHOT.jar", FileName("", "jar")),
        (
            "1.1-SNAPSHOT",
            "hello-1.1-20261207.233037-2-tests.jar",
            FileName("tests", "jar", "20261207.233037", 2),
        ),
    ],
)
def test_a_file_name_says_classifier_extension_and_build(
    version: str, filename: str, named: FileName
) -> None:
    assert parse_filename("hello", version, filename) == named


@pytest.mark.parametrize(
    "path",
    [
        "hello.jar",
        "com/hello/1.0",
        "com/example/hello/1.0/other-1.0.jar",
        "com/example/hello/1.0/hello-1.0",
        "com/example/hello/1.0/hello-1.0-.jar",
        "com.example/hello/1.0/hello-1.0.jar",
        "com/example/hello/../hello-1.0.jar",
        "com/example/hello/1.0/.hello-1.0.jar",
        "com//hello/1.0/hello-1.0.jar",
        "com/exämple/hello/1.0/hello-1.0.jar",
        "com/example/hello/1.0/hello-1.0.jar\x00",
    ],
)
def test_what_is_not_a_path_of_the_layout_is_refused_saying_why(path: str) -> None:
    with pytest.raises(BadRequest):
        parse_path(path)


def test_versions_sort_in_mavens_ordering() -> None:
    shown = ["1.10", "1.0", "1.0-SNAPSHOT", "1.9", "1.0-alpha-1", "1.0-rc1", "1.0-sp1"]
    assert ordered(shown) == [
        "1.0-alpha-1",
        "1.0-rc1",
        "1.0-SNAPSHOT",
        "1.0",
        "1.0-sp1",
        "1.9",
        "1.10",
    ]


def test_snapshot_metadata_names_the_newest_build_of_each_file() -> None:
    def stored(filename: str) -> PackageFile:
        path = f"org/hello/1.1-SNAPSHOT/{filename}"
        record = GenericFileRecord("libs", path, "sha256:00", 1, "", "", 0.0, 0.0, "ci")
        return PackageFile(record, "org/hello", "1.1-SNAPSHOT", filename)

    files = [
        stored("hello-1.1-20260101.100000-9.jar"),
        stored("hello-1.1-20260101.110000-10.jar"),
        stored("hello-1.1-20260101.100000-9-sources.jar"),
        stored("hello-1.1-SNAPSHOT.pom"),
    ]
    made = version_metadata("org", "hello", "1.1-SNAPSHOT", files)
    assert made is not None
    xml = made.decode()
    assert "<buildNumber>10</buildNumber>" in xml
    assert "<value>1.1-20260101.110000-10</value>" in xml
    assert "<classifier>sources</classifier>" in xml
    assert "<value>1.1-20260101.100000-9</value>" in xml
    assert xml.count("<snapshotVersion>") == 2
    assert version_metadata("org", "hello", "1.1-SNAPSHOT", files[3:]) is None
