"""Unpacking, catalogers and advisory matching together, on an image made of real packages
(tests/fixtures): a Debian dpkg database, a Log4j 2 jar (log4j-jcl, from Debian's
liblog4j2-java) two archives deep in a war, and a layer whose whiteout deletes a second copy
of the vulnerable jar."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from cargohold.analysis.catalogers import CATALOGERS
from cargohold.analysis.unpack.layers import Layer, apply_layers
from cargohold.analysis.unpack.limits import Budget, Limits
from cargohold.analysis.unpack.walk import walk
from cargohold.analysis.vulndb.match import match
from cargohold.analysis.vulndb.osv import parse_record
from tests.unit import cataloger_fixtures as fx

LOG4J_JCL = "org.apache.logging.log4j:log4j-jcl"
# Made-up advisories on the jar: one fixed before the version Debian 12 ships (2.19.0), one
# fixed after it, so only the second matches.
LOG4J_EARLIER = {
    "id": "GHSA-test-0000-0001",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2099-0002"],
    "summary": "A test advisory on log4j-jcl, fixed before 2.19.0",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "Maven", "name": LOG4J_JCL},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}],
                }
            ],
        }
    ],
}
LOG4J_LATER = {
    "id": "GHSA-test-0000-0000",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "Maven", "name": LOG4J_JCL},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.17.0"}, {"fixed": "2.20.0"}]}
            ],
        }
    ],
}


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _layer(digest: str, data: bytes) -> Layer:
    return Layer(digest, len(data), lambda: io.BytesIO(data))


def test_an_image_of_real_packages(tmp_path: Path) -> None:
    log4j = fx.fixture(fx.LOG4J_JCL).read_bytes()
    library = _zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n", "lib/log4j-jcl.jar": log4j})
    war = _zip({"WEB-INF/lib/app-lib.jar": library, "index.html": b"<html></html>"})
    status = (fx.deb_control(fx.ZLIB1G) + "Status: install ok installed\n").encode()
    base = _tar(
        {
            "var/lib/dpkg/status": status,
            "opt/app/web.war": war,
            "opt/old/log4j-jcl.jar": log4j,
        }
    )
    cleanup = _tar({"opt/old/.wh.log4j-jcl.jar": b""})
    limits = Limits()
    budget = Budget(limits)
    with apply_layers(
        [_layer("sha256:" + "a" * 64, base), _layer("sha256:" + "b" * 64, cleanup)],
        tmp_path,
        budget,
    ) as view:
        inventory = walk(view.files(), CATALOGERS, limits, tmp_dir=tmp_path, budget=budget)

    assert inventory.complete, inventory.incomplete
    in_war = "sha256:" + "a" * 64 + "!/opt/app/web.war!/WEB-INF/lib/app-lib.jar!/lib/log4j-jcl.jar"
    found = sorted((fx.facts(c), c.evidence) for c in inventory.components)
    assert found == sorted(
        [
            *((e.facts(), in_war) for e in fx.expected(fx.LOG4J_JCL)),
            *(
                (e.facts(), "sha256:" + "a" * 64 + "!/var/lib/dpkg/status")
                for e in fx.expected(fx.ZLIB1G)
            ),
        ]
    )

    matches = match(inventory.components, [parse_record(LOG4J_EARLIER), parse_record(LOG4J_LATER)])
    assert matches.undecided == ()
    assert [(f.advisory, f.component.name, f.fixed_in, f.evidence) for f in matches.findings] == [
        ("GHSA-test-0000-0000", LOG4J_JCL, ("2.20.0",), in_war)
    ]
