"""OSV import, version ordering per ecosystem, severity and matching — with records shaped like
the real ones OSV.dev serves."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from cargohold.analysis.model import Component
from cargohold.analysis.vulndb.match import Finding, match
from cargohold.analysis.vulndb.osv import (
    Advisory,
    Affected,
    EventKind,
    Range,
    parse_json,
    parse_record,
    read_zip,
    scheme_for,
    split_ecosystem,
)
from cargohold.analysis.vulndb.severity import rate
from cargohold.analysis.vulndb.versions import (
    UnknownScheme,
    UnparsableVersion,
    compare,
    fixed_in,
    is_affected,
)

LOG4SHELL: dict[str, Any] = {
    "schema_version": "1.4.0",
    "id": "GHSA-jfh8-c2jp-5v3q",
    "modified": "2024-06-21T21:33:51Z",
    "published": "2021-12-10T00:40:56Z",
    "aliases": ["CVE-2021-44228"],
    "summary": "Remote code injection in Log4j",
    "severity": [
        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"},
    ],
    "affected": [
        {
            "package": {
                "ecosystem": "Maven",
                "name": "org.apache.logging.log4j:log4j-core",
                "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
            },
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}],
                },
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}],
                },
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.4.0"}, {"fixed": "2.12.2"}],
                },
            ],
            "database_specific": {"source": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"},
        }
    ],
    "database_specific": {
        "cwe_ids": ["CWE-20", "CWE-400", "CWE-502", "CWE-917"],
        "severity": "CRITICAL",
        "github_reviewed": True,
    },
}

DSA_GLIBC: dict[str, Any] = {
    "id": "DSA-5514-1",
    "modified": "2023-10-03T16:45:12Z",
    "published": "2023-10-03T00:00:00Z",
    "aliases": ["CVE-2023-4911"],
    "summary": "glibc - security update",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "glibc", "purl": "pkg:deb/debian/glibc"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}],
                }
            ],
        }
    ],
}

DLA_GLIBC_11: dict[str, Any] = {
    "id": "DLA-3600-1",
    "modified": "2023-10-04T00:00:00Z",
    "published": "2023-10-04T00:00:00Z",
    "aliases": ["CVE-2023-4911"],
    "summary": "glibc - security update",
    "affected": [
        {
            "package": {"ecosystem": "Debian:11", "name": "glibc"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.31-13+deb11u7"}]}
            ],
        }
    ],
}

DSA_UTIL_LINUX: dict[str, Any] = {
    "id": "DSA-5800-1",
    "modified": "2024-11-01T00:00:00Z",
    "published": "2024-11-01T00:00:00Z",
    "aliases": ["CVE-2024-0000"],
    "summary": "util-linux - security update",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "util-linux"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": "2.38.1-5+deb12u14"}],
                }
            ],
        }
    ],
}

PYSEC_JINJA: dict[str, Any] = {
    "id": "PYSEC-2019-217",
    "modified": "2021-11-22T04:57:52Z",
    "published": "2019-04-10T00:00:00Z",
    "aliases": ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],
    "summary": "Jinja2 sandbox escape via str.format_map",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "jinja2", "purl": "pkg:pypi/jinja2"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}],
            "versions": ["2.0", "2.10", "2.8.1", "2.9.6"],
        }
    ],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"}],
}

PYPI_RANGE: dict[str, Any] = {
    "id": "GHSA-xxxx-pypi-0001",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": [],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Example_Pkg"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.9"}, {"fixed": "2.10"}]}],
        }
    ],
    "database_specific": {"severity": "MODERATE"},
}

LODASH: dict[str, Any] = {
    "id": "GHSA-35jh-r3h4-6jhm",
    "modified": "2024-03-01T00:00:00Z",
    "published": "2021-05-06T16:05:51Z",
    "aliases": ["CVE-2021-23337"],
    "summary": "Command Injection in lodash",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "lodash", "purl": "pkg:npm/lodash"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}
            ],
        }
    ],
    "database_specific": {"severity": "HIGH"},
}

LODASH_OLD: dict[str, Any] = {
    "id": "GHSA-p6mc-m468-83gw",
    "modified": "2024-03-01T00:00:00Z",
    "aliases": ["CVE-2020-8203"],
    "summary": "Prototype Pollution in lodash",
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "lodash"},
            "ranges": [
                {"type": "SEMVER", "events": [{"introduced": "3.7.0"}, {"fixed": "4.17.9"}]}
            ],
        }
    ],
}

GO_STDLIB: dict[str, Any] = {
    "id": "GO-2023-2185",
    "modified": "2024-05-20T16:03:47Z",
    "published": "2023-11-08T19:57:57Z",
    "aliases": ["CVE-2023-45283"],
    "summary": "Insecure parsing of Windows paths with a \\??\\ prefix in path/filepath",
    "affected": [
        {
            "package": {"ecosystem": "Go", "name": "stdlib"},
            "ranges": [
                {
                    "type": "SEMVER",
                    "events": [
                        {"introduced": "0"},
                        {"fixed": "1.20.11"},
                        {"introduced": "1.21.0-0"},
                        {"fixed": "1.21.4"},
                    ],
                }
            ],
            "ecosystem_specific": {"imports": [{"path": "path/filepath", "goos": ["windows"]}]},
        }
    ],
}

GO_MODULE: dict[str, Any] = {
    "id": "GO-2022-0969",
    "modified": "2024-05-20T16:03:47Z",
    "aliases": ["CVE-2022-27664", "GHSA-69cg-p879-7622"],
    "affected": [
        {
            "package": {"ecosystem": "Go", "name": "golang.org/x/net"},
            "ranges": [
                {
                    "type": "SEMVER",
                    "events": [{"introduced": "0"}, {"fixed": "0.0.0-20220906165146-f3363e06e74c"}],
                }
            ],
        }
    ],
}


def component(
    name: str,
    version: str,
    ecosystem: str,
    *,
    source_name: str | None = None,
    source_version: str | None = None,
) -> Component:
    return Component(
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=f"pkg:generic/{name}@{version}",
        cataloger="test",
        evidence=f"sha256:ab12!/{name}",
        source_name=source_name,
        source_version=source_version,
    )


def affected_of(record: dict[str, Any]) -> Affected:
    return parse_record(record).affected[0]


def ids(findings: list[Finding] | tuple[Finding, ...]) -> list[tuple[str, str, str]]:
    return sorted((f.advisory, f.component.name, f.component.version) for f in findings)


# --- versions: the cases string comparison gets wrong ------------------------------------


@pytest.mark.parametrize(
    ("scheme", "low", "high"),
    [
        ("pypi", "2.8.1", "2.10"),
        ("pypi", "2.10rc1", "2.10"),
        ("semver", "4.17.5", "4.17.15"),
        ("deb", "2.36.1-8+deb12u3", "2.36.1-8+deb12u14"),
        ("deb", "3.0", "1:2.0"),
        ("deb", "1.0~rc1-1", "1.0-1"),
        ("rpm", "2.0-1.el9", "1:1.0-1.el9"),
        ("rpm", "1.2.3-9.el9", "1.2.3-10.el9"),
        ("apk", "1.36.1-r9", "1.36.1-r15"),
        ("maven", "2.15.0-rc1", "2.15.0"),
        ("maven", "2.0-beta9", "2.0"),
        ("maven", "2.9.1", "2.14.1"),
        ("go", "v1.9.0", "v1.10.0"),
        ("go", "go1.21.5", "1.21.6"),
        ("go", "go1.21rc2", "go1.21.0"),
        ("gem", "1.0.0.pre", "1.0.0"),
        ("gem", "5.0.0.1", "5.0.1"),
    ],
)
def test_versions_order_by_their_ecosystem(scheme: str, low: str, high: str) -> None:
    assert compare(scheme, low, high) == -1
    assert compare(scheme, high, low) == 1


def test_semver_build_metadata_and_go_incompatible_do_not_order() -> None:
    assert compare("semver", "1.0.0+build.5", "1.0.0") == 0
    assert compare("go", "v2.0.0+incompatible", "v2.0.0") == 0
    assert compare("go", "go1.21.5", "v1.21.5") == 0


@pytest.mark.parametrize(
    ("scheme", "bad"),
    [("pypi", "not a version"), ("semver", "banana"), ("deb", "!!"), ("maven", ""), ("go", "x")],
)
def test_unparsable_versions_raise(scheme: str, bad: str) -> None:
    with pytest.raises(UnparsableVersion, match=scheme):
        compare(scheme, bad, "1.0")


def test_ecosystem_names_map_to_schemes() -> None:
    assert split_ecosystem("Debian:12") == ("Debian", "12")
    assert split_ecosystem("Alpine:v3.19") == ("Alpine", "v3.19")
    assert split_ecosystem("Ubuntu:22.04:LTS") == ("Ubuntu", "22.04:LTS")
    assert split_ecosystem("PyPI") == ("PyPI", None)
    expected = {
        "Debian:12": "deb",
        "Alpine:v3.19": "apk",
        "PyPI": "pypi",
        "npm": "semver",
        "Maven": "maven",
        "Go": "go",
        "crates.io": "semver",
        "RubyGems": "gem",
        "Red Hat:enterprise_linux:9::baseos": "rpm",
        "Rocky Linux:9": "rpm",
        "AlmaLinux:8": "rpm",
        "openSUSE:Tumbleweed": "rpm",
        "Ubuntu:22.04:LTS": "deb",
    }
    assert {e: scheme_for(e) for e in expected} == expected
    assert scheme_for("Hackage") is None


# --- the OSV evaluation algorithm ------------------------------------------------------


def test_log4j_ranges() -> None:
    affected = affected_of(LOG4SHELL)
    verdicts = {
        v: is_affected(affected, v)
        for v in [
            "2.0-alpha1",
            "2.0-beta9",
            "2.0",
            "2.3",
            "2.3.1",
            "2.3.2",
            "2.12.1",
            "2.12.2",
            "2.14.1",
            "2.15.0-rc1",
            "2.15.0",
            "2.17.1",
            "1.2.17",
        ]
    }
    assert verdicts == {
        "2.0-alpha1": False,
        "2.0-beta9": True,
        "2.0": True,
        "2.3": True,
        "2.3.1": False,
        "2.3.2": False,
        "2.12.1": True,
        "2.12.2": False,
        "2.14.1": True,
        "2.15.0-rc1": True,
        "2.15.0": False,
        "2.17.1": False,
        "1.2.17": False,
    }
    assert fixed_in(affected) == ["2.15.0", "2.3.1", "2.12.2"]


def test_events_are_sorted_by_version_not_by_position() -> None:
    # Events out of order: a string or positional walk would get these wrong.
    affected = Affected(
        ecosystem="PyPI",
        name="x",
        purl=None,
        ranges=(
            Range("ECOSYSTEM", (("fixed", "2.10"), ("introduced", "2.8.1"), ("introduced", "0"))),
        ),
        versions=(),
    )
    # introduced 0 → fixed 2.10 ; the later introduced 2.8.1 is inside and changes nothing
    assert is_affected(affected, "2.9") is True
    assert is_affected(affected, "2.10") is False
    assert is_affected(affected, "2.8.1") is True


def test_pypi_versions_list_and_range() -> None:
    affected = affected_of(PYSEC_JINJA)
    assert is_affected(affected, "2.10") is True
    assert is_affected(affected, "2.10.0") is True  # PEP 440: 2.10 == 2.10.0
    assert is_affected(affected, "2.10.1") is False
    assert is_affected(affected, "2.11.3") is False
    ranged = affected_of(PYPI_RANGE)
    assert is_affected(ranged, "2.8.1") is False  # "2.8.1" > "2.10" as strings
    assert is_affected(ranged, "2.9.5") is True
    assert is_affected(ranged, "2.10") is False


def test_versions_list_alone() -> None:
    affected = Affected("npm", "evil", None, (), ("1.0.1", "1.0.2"))
    assert [is_affected(affected, v) for v in ("1.0.1", "1.0.2", "1.0.3")] == [True, True, False]


def test_last_affected_is_inclusive() -> None:
    affected = Affected(
        "Maven",
        "com.h2database:h2",
        None,
        (Range("ECOSYSTEM", (("introduced", "0"), ("last_affected", "2.1.214"))),),
        (),
    )
    assert is_affected(affected, "2.1.214") is True
    assert is_affected(affected, "2.1.210") is True
    assert is_affected(affected, "2.2.220") is False
    assert fixed_in(affected) == []


def test_limit_bounds_the_range() -> None:
    affected = Affected(
        "npm",
        "x",
        None,
        (Range("SEMVER", (("introduced", "1.0.0"), ("limit", "1.5.0"))),),
        (),
    )
    assert [is_affected(affected, v) for v in ("0.9.0", "1.0.0", "1.4.9", "1.5.0", "2.0.0")] == [
        False,
        True,
        True,
        False,
        False,
    ]
    star = Affected(
        "npm", "x", None, (Range("SEMVER", (("introduced", "1.0.0"), ("limit", "*"))),), ()
    )
    assert is_affected(star, "9.9.9") is True


def test_semver_range_uses_semver_whatever_the_ecosystem() -> None:
    ranges: tuple[tuple[EventKind, str], ...] = (("introduced", "0"), ("fixed", "1.0.0"))
    semver = Affected("PyPI", "x", None, (Range("SEMVER", ranges),), ())
    pep440 = Affected("PyPI", "x", None, (Range("ECOSYSTEM", ranges),), ())
    # semver: 1.0.0-post1 is a pre-release of 1.0.0; PEP 440: a post-release after it.
    assert is_affected(semver, "1.0.0-post1") is True
    assert is_affected(pep440, "1.0.0-post1") is False


def test_git_ranges_are_ignored() -> None:
    affected = Affected(
        "PyPI",
        "x",
        None,
        (Range("GIT", (("introduced", "0"), ("fixed", "a" * 40)), "https://example.com/x"),),
        (),
    )
    assert is_affected(affected, "1.0") is False


def test_unparsable_component_version_is_an_error_not_false() -> None:
    with pytest.raises(UnparsableVersion, match="not a valid semver"):
        is_affected(affected_of(LODASH), "latest")


def test_unknown_ecosystem_range_is_an_error() -> None:
    affected = Affected("Hackage", "aeson", None, (Range("ECOSYSTEM", (("introduced", "0"),)),), ())
    with pytest.raises(UnknownScheme, match="Hackage"):
        is_affected(affected, "2.0.0")


# --- parsing ---------------------------------------------------------------------------


def test_parse_record_values() -> None:
    advisory = parse_record(LOG4SHELL)
    assert advisory.id == "GHSA-jfh8-c2jp-5v3q"
    assert advisory.aliases == ("CVE-2021-44228",)
    assert advisory.published == "2021-12-10T00:40:56Z"
    assert advisory.withdrawn is None
    assert advisory.database_severity == "CRITICAL"
    assert advisory.severity == (("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),)
    first = advisory.affected[0]
    assert (first.ecosystem, first.name, first.purl) == (
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        "pkg:maven/org.apache.logging.log4j/log4j-core",
    )
    assert first.ranges[1] == Range("ECOSYSTEM", (("introduced", "2.0-beta9"), ("fixed", "2.3.1")))


def test_parse_json_object_and_array_idempotent() -> None:
    one = parse_json(json.dumps(LOG4SHELL))
    assert [a.id for a in one.advisories] == ["GHSA-jfh8-c2jp-5v3q"]
    data = json.dumps([LOG4SHELL, DSA_GLIBC, LODASH]).encode()
    first, second = parse_json(data), parse_json(data)
    assert first == second
    assert first.problems == ()
    assert [a.id for a in first.advisories] == [
        "GHSA-jfh8-c2jp-5v3q",
        "DSA-5514-1",
        "GHSA-35jh-r3h4-6jhm",
    ]
    assert hash(first.advisories[0]) == hash(second.advisories[0])


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"modified": "2024-01-01T00:00:00Z"}, "id: missing"),
        ({"id": "X-1"}, "modified: missing"),
        ({"id": "X-1", "modified": "m", "aliases": "CVE-1"}, "aliases: an array"),
        (
            {
                "id": "X-1",
                "modified": "m",
                "affected": [
                    {
                        "package": {"ecosystem": "npm", "name": "a"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}],
                    }
                ],
            },
            "no 'introduced'",
        ),
        (
            {
                "id": "X-1",
                "modified": "m",
                "affected": [
                    {
                        "package": {"ecosystem": "npm", "name": "a"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}
                        ],
                    }
                ],
            },
            "exactly one key",
        ),
        (
            {
                "id": "X-1",
                "modified": "m",
                "affected": [
                    {
                        "package": {"ecosystem": "npm", "name": "a"},
                        "ranges": [{"type": "NUMERIC", "events": []}],
                    }
                ],
            },
            "'NUMERIC' is not",
        ),
        ({"id": "X-1", "modified": "m", "affected": [{"package": {"name": "a"}}]}, "ecosystem"),
    ],
)
def test_malformed_records_are_reported_and_skipped(record: dict[str, Any], reason: str) -> None:
    parsed = parse_json(json.dumps([record, LODASH]))
    assert [a.id for a in parsed.advisories] == ["GHSA-35jh-r3h4-6jhm"]
    (problem,) = parsed.problems
    assert problem.where.startswith("[0]")
    assert reason in problem.reason


def test_malformed_record_names_its_id() -> None:
    parsed = parse_json(json.dumps([LODASH, {"id": "GHSA-bad", "modified": 5}]))
    assert [(p.where, p.reason) for p in parsed.problems] == [
        ("[1] (GHSA-bad)", "modified: a string, not a number")
    ]


def test_not_json_is_reported() -> None:
    parsed = parse_json(b"{nope")
    assert parsed.advisories == ()
    assert parsed.problems[0].reason.startswith("not valid JSON")


def _zip(entries: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buf.seek(0)
    return buf


def test_zip_export_with_a_malformed_record() -> None:
    archive = _zip(
        {
            "GHSA-jfh8-c2jp-5v3q.json": json.dumps(LOG4SHELL).encode(),
            "DSA-5514-1.json": json.dumps(DSA_GLIBC).encode(),
            "GHSA-broken.json": b'{"id": "GHSA-broken", "modified": "x", "affected": {}}',
            "GHSA-truncated.json": b'{"id": "GHSA-trunc',
            "README.txt": b"hello",
        }
    )
    parsed = read_zip(archive)
    assert [a.id for a in parsed.advisories] == ["GHSA-jfh8-c2jp-5v3q", "DSA-5514-1"]
    assert [(p.where, p.reason.split(":")[0]) for p in parsed.problems] == [
        ("GHSA-broken.json (GHSA-broken)", "affected"),
        ("GHSA-truncated.json", "not valid JSON"),
        ("README.txt", "not a .json entry"),
    ]
    archive.seek(0)
    assert read_zip(archive) == parsed


def test_zip_entries_are_bounded() -> None:
    big = json.dumps({**LODASH, "details": "x" * 5000}).encode()
    parsed = read_zip(
        _zip({"GHSA-big.json": big, "GO-2023-2185.json": json.dumps(GO_STDLIB).encode()}),
        max_record=4096,
    )
    assert [a.id for a in parsed.advisories] == ["GO-2023-2185"]
    assert parsed.problems[0].where == "GHSA-big.json"
    assert "over 4096" in parsed.problems[0].reason


def test_not_a_zip_is_reported() -> None:
    parsed = read_zip(io.BytesIO(b"not a zip"))
    assert parsed.advisories == ()
    assert parsed.problems[0].reason.startswith("not a readable zip")


def test_zip_from_a_path(tmp_path: Any) -> None:
    path = tmp_path / "all.zip"
    path.write_bytes(_zip({"GHSA-35jh-r3h4-6jhm.json": json.dumps(LODASH).encode()}).getvalue())
    assert [a.id for a in read_zip(path).advisories] == ["GHSA-35jh-r3h4-6jhm"]


# --- severity --------------------------------------------------------------------------


def test_severity_from_vectors_and_fallback() -> None:
    assert rate([("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")]) == "CRITICAL"
    assert rate([("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H")]) == "HIGH"
    assert rate([("CVSS_V3", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N")]) == "LOW"
    assert rate([("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")]) == "HIGH"  # 7.5
    assert rate([("CVSS_V2", "AV:N/AC:M/Au:N/C:N/I:P/A:N")]) == "MEDIUM"  # 4.3
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert rate([("CVSS_V4", v4)]) == "CRITICAL"
    assert rate([], "MODERATE") == "MEDIUM"
    assert rate([("CVSS_V3", "garbage")], "low") == "LOW"
    assert rate([]) == "UNKNOWN"
    assert rate([("Ubuntu", "medium")]) == "MEDIUM"


# --- matching --------------------------------------------------------------------------


ALL_RECORDS = [
    LOG4SHELL,
    DSA_GLIBC,
    DLA_GLIBC_11,
    DSA_UTIL_LINUX,
    PYSEC_JINJA,
    PYPI_RANGE,
    LODASH,
    LODASH_OLD,
    GO_STDLIB,
    GO_MODULE,
]


def advisories(*records: dict[str, Any]) -> list[Advisory]:
    parsed = parse_json(json.dumps(list(records or ALL_RECORDS)))
    assert parsed.problems == ()
    return list(parsed.advisories)


def test_match_exact_findings() -> None:
    components = [
        component("org.apache.logging.log4j:log4j-core", "2.14.1", "Maven"),
        component("org.apache.logging.log4j:log4j-core", "2.15.0-rc1", "Maven"),
        component("org.apache.logging.log4j:log4j-core", "2.17.1", "Maven"),
        component("lodash", "4.17.15", "npm"),
        component("lodash", "4.17.5", "npm"),
        component("lodash", "4.17.21", "npm"),
        component("Jinja2", "2.10", "PyPI"),
        component("example.pkg", "2.8.1", "PyPI"),
        component("stdlib", "go1.21.3", "Go"),
        component("stdlib", "go1.21.4", "Go"),
        component("golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b", "Go"),
        component("golang.org/x/net", "v0.1.0", "Go"),
    ]
    result = match(components, advisories())
    assert result.undecided == ()
    assert ids(result.findings) == [
        ("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.15"),
        ("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.5"),
        ("GHSA-jfh8-c2jp-5v3q", "org.apache.logging.log4j:log4j-core", "2.14.1"),
        ("GHSA-jfh8-c2jp-5v3q", "org.apache.logging.log4j:log4j-core", "2.15.0-rc1"),
        ("GHSA-p6mc-m468-83gw", "lodash", "4.17.5"),
        ("GO-2022-0969", "golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b"),
        ("GO-2023-2185", "stdlib", "go1.21.3"),
        ("PYSEC-2019-217", "Jinja2", "2.10"),
    ]
    log4j = next(f for f in result.findings if f.component.version == "2.14.1")
    assert log4j.aliases == ("CVE-2021-44228",)
    assert log4j.severity == "CRITICAL"
    assert log4j.fixed_in == ("2.15.0", "2.3.1", "2.12.2")
    assert log4j.evidence == "sha256:ab12!/org.apache.logging.log4j:log4j-core"
    lodash = next(f for f in result.findings if f.advisory == "GHSA-35jh-r3h4-6jhm")
    assert (lodash.severity, lodash.fixed_in) == ("HIGH", ("4.17.21",))
    # "example.pkg" and "Example_Pkg" are one PyPI project; 2.8.1 is below introduced 2.9.
    assert (
        match([component("example.pkg", "2.9.1", "PyPI")], advisories(PYPI_RANGE))
        .findings[0]
        .severity
        == "MEDIUM"
    )


def test_debian_matches_source_package_and_release() -> None:
    libc6_old = component(
        "libc6", "2.36-9+deb12u1", "Debian:12", source_name="glibc", source_version="2.36-9+deb12u1"
    )
    libc6_new = component("libc6", "2.36-9+deb12u3", "Debian:12", source_name="glibc")
    glibc_on_11 = component("libc6", "2.31-13+deb11u6", "Debian:11", source_name="glibc")
    no_release = component("libc6", "2.31-13+deb11u6", "Debian", source_name="glibc")
    point_release = component("libc6", "2.36-9", "Debian:12.5", source_name="glibc")
    util_old = component("mount", "2.38.1-5+deb12u3", "Debian:12", source_name="util-linux")
    util_new = component("mount", "2.38.1-5+deb12u14", "Debian:12", source_name="util-linux")
    binary_only = component("glibc", "2.36-9", "Debian:12")
    result = match(
        [
            libc6_old,
            libc6_new,
            glibc_on_11,
            no_release,
            point_release,
            util_old,
            util_new,
            binary_only,
        ],
        advisories(DSA_GLIBC, DLA_GLIBC_11, DSA_UTIL_LINUX),
    )
    assert result.undecided == ()
    assert ids(result.findings) == [
        ("DLA-3600-1", "libc6", "2.31-13+deb11u6"),  # Debian:11
        ("DLA-3600-1", "libc6", "2.31-13+deb11u6"),  # no release: every release
        ("DSA-5514-1", "glibc", "2.36-9"),  # the binary name when no source is known
        ("DSA-5514-1", "libc6", "2.31-13+deb11u6"),  # no release: 2.31 < 2.36-9+deb12u3 too
        ("DSA-5514-1", "libc6", "2.36-9"),
        ("DSA-5514-1", "libc6", "2.36-9+deb12u1"),
        ("DSA-5800-1", "mount", "2.38.1-5+deb12u3"),  # +deb12u3 < +deb12u14
    ]
    finding = next(f for f in result.findings if f.component is libc6_old)
    assert finding.matched == "Debian:12 source glibc 2.36-9+deb12u1"
    assert finding.severity == "UNKNOWN"


def test_epoch_orders_above_higher_upstream() -> None:
    record = {
        "id": "DSA-1-1",
        "modified": "m",
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:2.0-1"}]}
                ],
            }
        ],
    }
    found = match(
        [component("pkg", "3.0-1", "Debian:12"), component("pkg", "1:2.0-1", "Debian:12")],
        advisories(record),
    )
    assert ids(found.findings) == [("DSA-1-1", "pkg", "3.0-1")]


def test_withdrawn_advisories_are_ignored() -> None:
    withdrawn = {**LODASH, "withdrawn": "2024-04-01T00:00:00Z"}
    assert match([component("lodash", "4.17.15", "npm")], advisories(withdrawn)).findings == ()


def test_unparsable_versions_are_undecided_not_clean() -> None:
    result = match([component("lodash", "latest", "npm")], advisories(LODASH))
    assert result.findings == ()
    assert [(u.advisory, u.component.version) for u in result.undecided] == [
        ("GHSA-35jh-r3h4-6jhm", "latest")
    ]
    assert "not a valid semver" in result.undecided[0].reason


def test_other_ecosystems_do_not_cross_match() -> None:
    result = match(
        [component("lodash", "4.17.15", "PyPI"), component("glibc", "2.0", "Ubuntu:22.04")],
        advisories(),
    )
    assert result.findings == ()


def test_alpine_release_branch_and_apk_order() -> None:
    record = {
        "id": "ALPINE-CVE-2024-0001",
        "modified": "m",
        "affected": [
            {
                "package": {"ecosystem": "Alpine:v3.19", "name": "busybox"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.36.1-r15"}]}
                ],
            }
        ],
    }
    result = match(
        [
            component("busybox", "1.36.1-r9", "Alpine:3.19.1"),
            component("busybox", "1.36.1-r15", "Alpine:v3.19"),
            component("busybox", "1.36.1-r9", "Alpine:v3.20"),
            component("ssl_client", "1.36.1-r9", "Alpine:v3.19", source_name="busybox"),
        ],
        advisories(record),
    )
    assert ids(result.findings) == [
        ("ALPINE-CVE-2024-0001", "busybox", "1.36.1-r9"),
        ("ALPINE-CVE-2024-0001", "ssl_client", "1.36.1-r9"),
    ]
    assert {f.component.ecosystem for f in result.findings} == {"Alpine:3.19.1", "Alpine:v3.19"}
