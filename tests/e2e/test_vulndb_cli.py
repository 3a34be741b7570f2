"""``cargohold vulndb import DIR`` against a real server: a directory of OSV records as
OSV.dev's exports unpack, imported once, then again with nothing to do, then shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import Cli
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e

RECORDS: list[dict[str, Any]] = [
    {
        "id": "GHSA-jfh8-c2jp-5v3q",
        "modified": "2024-03-21T17:24:12Z",
        "aliases": ["CVE-2021-44228"],
        "summary": "Remote code injection in Log4j",
        "affected": [
            {
                "package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}
                ],
            }
        ],
        "database_specific": {"severity": "CRITICAL"},
    },
    {
        "id": "DSA-5022-1",
        "modified": "2023-08-01T10:00:00Z",
        "summary": "apache-log4j2 - security update",
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "apache-log4j2"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.16.0-1"}]}
                ],
            }
        ],
    },
]


def test_import_a_directory_then_show(server: CargoholdServer, tmp_path: Path) -> None:
    cli = Cli.fresh(server, tmp_path)
    osv = tmp_path / "osv" / "nested"
    osv.mkdir(parents=True)
    for record in RECORDS:
        (osv / f"{record['id']}.json").write_text(json.dumps(record))
    (osv / "broken.json").write_text("{not json")
    (osv / "README.txt").write_text("not a record")

    report = cli.json("vulndb", "import", str(tmp_path / "osv"))
    assert (report["added"], report["updated"], report["unchanged"]) == (2, 0, 0)
    assert len(report["problems"]) == 1
    assert report["problems"][0].startswith("nested/broken.json: not valid JSON")

    again = cli.run("vulndb", "import", str(tmp_path / "osv"))
    assert again.returncode == 0, again.stderr
    lines = [line.split() for line in again.stdout.splitlines()]
    assert lines == [["added:", "0"], ["updated:", "0"], ["unchanged:", "2"], ["problems:", "1"]]
    assert "nested/broken.json" in again.stderr

    single = tmp_path / "one.json"
    single.write_text(json.dumps(RECORDS[1] | {"modified": "2025-01-01T00:00:00Z"}))
    assert cli.json("vulndb", "import", str(single))["updated"] == 1

    shown = cli.json("vulndb", "show", "GHSA-jfh8-c2jp-5v3q")
    assert shown == RECORDS[0] | {"severity": "CRITICAL"}
    text = cli.ok("vulndb", "show", "DSA-5022-1")
    assert "Debian:12/apache-log4j2" in text

    missing = cli.fails("vulndb", "show", "GHSA-none")
    assert "not in the database" in missing
