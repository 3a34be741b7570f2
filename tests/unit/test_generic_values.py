"""Generic file paths and checksums as values: what is a path, where a promoted path lands,
and which checksum a bare ``X-Checksum`` is."""

from __future__ import annotations

import pytest

from cargohold.core.checksums import Checksums, MultiHasher
from cargohold.core.errors import BadRequest
from cargohold.core.paths import check_path, overlaps, relocate


@pytest.mark.parametrize("path", ["a", "a/b.tgz", "web/1.4/app-1.4.tar.gz", "x" * 1024, "ü/ß"])
def test_paths_that_name_one_place(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "required"),
        ("a/../b", "'..'"),
        ("./a", "'.'"),
        ("a//b", "empty"),
        ("/a", "empty"),
        ("a/", "empty"),
        ("a\\b", "backslash"),
        ("a\x00b", "control"),
        ("a\nb", "control"),
        ("x" * 1025, "1024"),
    ],
)
def test_paths_that_could_escape_or_mislead(path: str, why: str) -> None:
    with pytest.raises(BadRequest, match=why):
        check_path(path)


def test_the_root_is_a_folder_not_a_file() -> None:
    assert check_path("", folder=True) == ""


@pytest.mark.parametrize(
    ("path", "source", "target", "lands"),
    [
        ("web/1.4/app.tgz", "web/1.4/app.tgz", "app.tgz", "app.tgz"),
        ("web/1.4/app.tgz", "web", "site", "site/1.4/app.tgz"),
        ("web/1.4/app.tgz", "web/1.4", "web/1.4", "web/1.4/app.tgz"),
        ("web/1.4/app.tgz", "", "old", "old/web/1.4/app.tgz"),
        ("web/1.4/app.tgz", "web", "", "1.4/app.tgz"),
    ],
)
def test_where_a_promoted_path_lands(path: str, source: str, target: str, lands: str) -> None:
    assert relocate(path, source, target) == lands


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("web", "web", True),
        ("web", "web/old", True),
        ("web/old", "web", True),
        ("", "web", True),
        ("web", "web2", False),
        ("web-a", "web", False),
    ],
)
def test_overlaps(first: str, second: str, expected: bool) -> None:
    assert overlaps(first, second) is expected


def test_a_bare_checksum_is_told_apart_by_its_length() -> None:
    assert Checksums.of_any("A" * 64) == Checksums(sha256="a" * 64)
    assert Checksums.of_any("b" * 40) == Checksums(sha1="b" * 40)
    assert Checksums.of_any("c" * 32) == Checksums(md5="c" * 32)
    with pytest.raises(BadRequest):
        Checksums.of_any("d" * 33)


def test_claims_merge_unless_they_disagree() -> None:
    named = Checksums.claimed(sha256=None, sha1="b" * 40, md5=None)
    assert named.merged(Checksums(md5="c" * 32)) == Checksums(None, "b" * 40, "c" * 32)
    with pytest.raises(BadRequest, match="two different sha1"):
        named.merged(Checksums(sha1="e" * 40))


def test_mismatches_name_only_what_was_claimed() -> None:
    hasher = MultiHasher()
    hasher.update(b"hello")
    actual = hasher.result()
    assert actual == Checksums(
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
        "5d41402abc4b2a76b9719d911017c592",
    )
    assert Checksums(md5="0" * 32).mismatches(actual) == ["md5"]
    assert Checksums(sha1=actual.sha1).mismatches(actual) == []
    assert Checksums().mismatches(actual) == []
    without = MultiHasher(sha256=False)
    without.update(b"hello")
    assert without.result() == Checksums(None, actual.sha1, actual.md5)
