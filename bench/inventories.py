"""Stored inventories for the insight benchmarks, written straight into the metadata store:
artifacts that look scanned (a scan record, its components, their look-up keys) and pushed (a
manifest and a tag, so where-used and events find them), and an OSV advisory batch that names
packages they hold."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from packageurl import PackageURL
from tests.disk_images import DiskImage

from cargohold.analysis.catalogers import CATALOGERS
from cargohold.analysis.layered import index_layer, squash
from cargohold.analysis.model import Component
from cargohold.analysis.purls import purl_key
from cargohold.analysis.unpack.layers import Layer
from cargohold.analysis.unpack.limits import Limits
from cargohold.analysis.vulndb.match import lookup_keys
from cargohold.meta.outbox.scans import request_scan
from cargohold.meta.schema import manifests, scan_components, scans, tags
from cargohold.meta.store import MetadataStore
from cargohold.registry.insight.scans import component_rows

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REPOSITORIES = ("dev", "staging", "prod")
BATCH = 5000
LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core"
LOG4J_VERSIONS = ("2.0.2", "2.11.1", "2.14.1", "2.15.0", "2.16.0", "2.17.0", "2.17.1", "2.19.0")
# Versions the re-match inventories vary over, so matching compares more than one version.
VARIED = {
    "pkg:pypi/requests": ("2.19.1", "2.22.0", "2.25.0", "2.28.1", "2.31.0", "2.32.3"),
    "pkg:npm/lodash": ("4.17.4", "4.17.15", "4.17.19", "4.17.21"),
    LOG4J: LOG4J_VERSIONS,
}


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def image_components(image: DiskImage) -> tuple[list[Component], list[Component]]:
    """What the scan of ``image`` finds (visible, deleted by a later layer), indexed here,
    in-process, layer by layer as a scan does."""
    with tempfile.TemporaryDirectory(prefix="cargohold-bench-") as name:
        indexes = [
            index_layer(
                Layer(layer.digest, layer.size, _opener(layer.path)),
                CATALOGERS,
                Limits(),
                Path(name),
            )
            for layer in image.layers
        ]
    squashed = squash(indexes)
    return list(squashed.visible.components), list(squashed.hidden)


def _opener(path: Path) -> Callable[[], BinaryIO]:
    def open_blob() -> BinaryIO:
        return path.open("rb")

    return open_blob


def with_version(component: Component, version: str) -> Component:
    parsed = PackageURL.from_string(component.purl)
    purl = PackageURL(**{**parsed.to_dict(), "version": version}).to_string()
    return replace(component, version=version, purl=purl)


def varied(components: Sequence[Component], index: int) -> list[Component]:
    """The components with the versions of VARIED picked by ``index``."""
    out = []
    for component in components:
        choices = VARIED.get(purl_key(component.purl))
        wanted = choices[index % len(choices)] if choices else component.version
        out.append(component if wanted == component.version else with_version(component, wanted))
    return out


def pushed(meta: MetadataStore, artifacts: Sequence[tuple[str, str, str]], now: float) -> None:
    """Manifest and tag rows for (repository, image name, digest): where the artifacts are."""
    for start in range(0, len(artifacts), BATCH):
        chunk = artifacts[start : start + BATCH]
        with meta.engine.begin() as connection:
            connection.execute(
                manifests.insert(),
                [
                    {
                        "repository": repository,
                        "name": name,
                        "digest": digest,
                        "media_type": MANIFEST,
                        "size": 1000,
                        "artifact_type": None,
                        "subject": None,
                        "annotations": "{}",
                        "created_at": now,
                    }
                    for repository, name, digest in chunk
                ],
            )
            connection.execute(
                tags.insert(),
                [
                    {
                        "repository": repository,
                        "name": name,
                        "tag": digest[7:19],
                        "digest": digest,
                        "updated_at": now,
                    }
                    for repository, name, digest in chunk
                ],
            )


def store_scanned(
    meta: MetadataStore,
    cache_key: str,
    visible: Sequence[Component],
    hidden: Sequence[Component],
    count: int,
    now: float,
) -> list[str]:
    """``count`` artifacts scanned through the metadata layer (request, then save with the
    image's components, versions varied), each pushed to a repository; their digests."""
    digests = []
    for index in range(count):
        digest = digest_of(f"rematch {index}")
        seen = varied(visible, index)
        rows = component_rows(seen, visible=True) + component_rows(
            hidden, visible=False, start=len(seen)
        )
        lookups = {key for c in seen for key in lookup_keys(c)}
        name = f"bench/app-{index % 100}"
        with meta.engine.begin() as connection:
            request_scan(connection, digest, "image", f"dev/{name}", cache_key, now)
        meta.scans.save(digest, "done", [], cache_key, rows, lookups, [], now)
        digests.append(digest)
    pushed(
        meta, [(REPOSITORIES[i % 3], f"bench/app-{i % 100}", d) for i, d in enumerate(digests)], now
    )
    return digests


def bulk_inventories(meta: MetadataStore, count: int, cache_key: str, now: float) -> int:
    """``count`` small inventories inserted in bulk (scans + scan_components rows): each holds
    log4j-core (version by index), log4j-api, libc6 and requests. Returns how many hold a
    log4j-core below 2.17.1."""
    below = 0
    pending: dict[str, list[dict[str, Any]]] = {"scans": [], "components": []}
    artifacts: list[tuple[str, str, str]] = []

    def flush() -> None:
        with meta.engine.begin() as connection:
            connection.execute(scans.insert(), pending["scans"])
            connection.execute(scan_components.insert(), pending["components"])
        pending["scans"].clear()
        pending["components"].clear()

    for index in range(count):
        digest = digest_of(f"where-used {index}")
        version = LOG4J_VERSIONS[index % len(LOG4J_VERSIONS)]
        below += LOG4J_VERSIONS.index(version) < LOG4J_VERSIONS.index("2.17.1")
        name = f"team/app-{index % 1000}"
        repository = REPOSITORIES[index % 3]
        artifacts.append((repository, name, digest))
        pending["scans"].append(
            {
                "digest": digest,
                "kind": "image",
                "name": f"{repository}/{name}",
                "status": "done",
                "reasons": "[]",
                "cache_key": cache_key,
                "requested_at": now,
                "scanned_at": now,
                "matched_at": now,
            }
        )
        layer = digest_of(f"layer {index}")
        parts = (
            ("Maven", LOG4J, version, f"{layer}!/app/lib/log4j-core-{version}.jar"),
            (
                "Maven",
                "pkg:maven/org.apache.logging.log4j/log4j-api",
                version,
                f"{layer}!/app/lib/log4j-api-{version}.jar",
            ),
            ("Debian", "pkg:deb/debian/libc6", "2.36-9+deb12u10", f"{layer}!/var/lib/dpkg/status"),
            ("PyPI", "pkg:pypi/requests", "2.31.0", f"{layer}!/usr/lib/python3/dist-packages"),
        )
        for seq, (ecosystem, key, component_version, evidence) in enumerate(parts):
            purl = PackageURL.from_string(f"{key}@{component_version}")
            pending["components"].append(
                {
                    "digest": digest,
                    "seq": seq,
                    "name": f"{purl.namespace}:{purl.name}" if ecosystem == "Maven" else purl.name,
                    "version": component_version,
                    "ecosystem": ecosystem,
                    "purl": purl.to_string(),
                    "purl_key": purl_key(key),
                    "cataloger": {"Maven": "java", "Debian": "dpkg", "PyPI": "python"}[ecosystem],
                    "evidence": evidence,
                    "licenses": "[]",
                    "source_name": "glibc" if ecosystem == "Debian" else None,
                    "source_version": "2.36-9+deb12u10" if ecosystem == "Debian" else None,
                    "visible": True,
                }
            )
        if len(pending["scans"]) >= BATCH:
            flush()
    if pending["scans"]:
        flush()
    pushed(meta, artifacts, now)
    return below


def advisory_batch(components: Sequence[Component]) -> list[dict[str, Any]]:
    """OSV records naming packages the image holds: one per Debian source package (every
    other one fixed after the installed version, so affecting it), and advisories shaped
    like real ones on requests, urllib3, Jinja2, lodash, async, log4j-core and Go's stdlib."""
    sources = sorted({(c.source_name, c.source_version) for c in components if c.source_name})
    records = []
    for index, (source, version) in enumerate(sources):
        fixed = f"{version}+bench1" if index % 2 == 0 else "0.0.1-1"
        records.append(_record(f"DEBIAN-BENCH-{index:04d}", "Debian:12", str(source), "0", fixed))
    records += [
        _record("BENCH-PYSEC-1", "PyPI", "requests", "2.3.0", "2.31.0"),
        _record("BENCH-PYSEC-2", "PyPI", "urllib3", "0", "1.26.18"),
        _record("BENCH-PYSEC-3", "PyPI", "jinja2", "0", "2.10.1"),
        _record("BENCH-NPM-1", "npm", "lodash", "0", "4.17.21"),
        _record("BENCH-NPM-2", "npm", "async", "2.0.0", "2.6.4"),
        _record(
            "BENCH-MAVEN-1", "Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9", "2.17.1"
        ),
        _record("BENCH-GO-1", "Go", "stdlib", "0", "1.19.9", kind="SEMVER"),
    ]
    return records


def _record(
    id_: str, ecosystem: str, name: str, introduced: str, fixed: str, kind: str = "ECOSYSTEM"
) -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": id_,
        "summary": f"benchmark advisory on {name}",
        "modified": "2024-01-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": kind, "events": [{"introduced": introduced}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def encode(records: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps(list(records)).encode()


__all__ = [
    "LOG4J",
    "advisory_batch",
    "bulk_inventories",
    "digest_of",
    "encode",
    "image_components",
    "store_scanned",
]
