"""Insight with the real server and the real CLI: skopeo pushes an image of real packages,
the server's own job runner scans it, and ``cargohold vulns|sbom|components|impact|affected``
read what was found, before and after an advisory import re-matches the stored inventory."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import Cli, table
from tests.e2e.clients import Skopeo
from tests.images import write_oci_layout
from tests.integration.test_insight import LOG4J, LOG4J_LATER, app_image
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e

IMAGE = "dev/insight/app:1.0"


@pytest.fixture(scope="module")
def skopeo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Skopeo]:
    yield Skopeo(tmp_path_factory.mktemp("skopeo-home"))


def test_push_then_read_the_scan_with_the_cli(
    server: CargoholdServer, skopeo: Skopeo, tmp_path: Path
) -> None:
    image = app_image()
    layout = write_oci_layout(tmp_path / "layout", {"1.0": image})
    skopeo.push(f"oci:{layout}:1.0", server, IMAGE)
    cli = Cli.fresh(server, tmp_path)

    # The push queued the scan; --wait polls (bounded) until the server's worker is done.
    scanned = cli.json("scan", IMAGE, "--wait", "120")
    assert (scanned["digest"], scanned["status"]) == (image.digest, "done")
    found = cli.json("components", IMAGE)
    assert sorted((c["name"], c["version"]) for c in found) == [
        (LOG4J, "2.19.0"),
        ("zlib1g", "1:1.2.13.dfsg-1"),
    ]
    # Which rule named each, on asking: the jar by its pom.properties; dpkg has one rule.
    named = sorted(row[:4] for row in table(cli.ok("components", IMAGE, "--identity")))
    assert named == [
        [LOG4J, "2.19.0", "Maven", "pom.properties"],
        ["zlib1g", "1:1.2.13.dfsg-1", "Debian", "-"],
    ]
    assert table(cli.ok("vulns", IMAGE, "--fail-on", "LOW")) == []  # no advisories yet

    sbom = tmp_path / "app.spdx.json"
    cli.ok("sbom", IMAGE, "--format", "spdx", "-o", str(sbom))
    assert json.loads(sbom.read_text())["spdxVersion"] == "SPDX-2.3"

    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps([LOG4J_LATER]))
    assert cli.json("vulndb", "import", str(advisory))["added"] == 1

    # The re-match runs in the background; the finding appears without a new scan.
    failed = cli.run("vulns", IMAGE, "--fail-on", "HIGH")
    deadline = time.monotonic() + 60
    while failed.returncode != 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        failed = cli.run("vulns", IMAGE, "--fail-on", "HIGH")
    assert failed.returncode == 3, failed.stdout + failed.stderr
    rows = table(failed.stdout)
    assert rows[0][:5] == ["GHSA-test-0000-0000", "CRITICAL", LOG4J, "2.19.0", "2.20.0"]

    used = cli.json("impact", "--advisory", "CVE-2099-0001")
    assert [(i["digest"], [w["tags"] for w in i["locations"]]) for i in used] == [
        (image.digest, [["1.0"]])
    ]
    group, artifact = LOG4J.split(":")
    ranged = cli.ok("impact", "--purl", f"pkg:maven/{group}/{artifact}", "--range", "<2.20.0")
    assert "dev/insight/app:1.0" in ranged
    newly = cli.json("affected", "--since", "1h")
    assert [(i["digest"], i["advisory"]) for i in newly] == [(image.digest, "GHSA-test-0000-0000")]

    missing = cli.fails("vulns", "dev/insight/app:nope")
    assert "nope" in missing
