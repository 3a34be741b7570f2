"""Insight at scale: indexing a real image, re-matching stored inventories after an advisory
import, and where-used over many inventories. Prints tables; never asserts on time.

    .venv/bin/python -m bench.insight                  # all three, about 2 minutes
    .venv/bin/python -m bench.insight --only index     # the image: cargohold vs docker-registry
    .venv/bin/python -m bench.insight --only rematch --artifacts 1000
    .venv/bin/python -m bench.insight --only impact --inventories 100000 --rounds 20

1. **Index**: the Debian 12 image of ``tests/rootfs.py`` (minbase, Python, npm, Java and Go
   packages; 3 layers) pushed over HTTP to a fresh cargohold and to ``docker-registry``; for
   cargohold, the time from the end of the push until the scan the push queued is done (in
   the server's background worker), then the same for a second image that shares the two
   lower layers (their indexes come from the per-layer cache).
2. **Re-match**: N artifacts stored as scanned, each with the components of that image
   (versions of requests, lodash and log4j-core varied), then an OSV batch naming packages
   they hold is imported and ``registry.scans.rematch(since)`` is timed, in-process.
3. **Where-used**: N small inventories inserted in bulk, each with a log4j-core of one of 8
   versions; ``GET /api/v1/impact?purl=…`` through the REST app in-process (routing,
   authentication, the permission filter, JSON) and ``registry.insight.impact_purl`` directly.

Everything runs on SQLite (the embedded default) in temporary data directories.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from tests.disk_images import DiskImage, chunks, disk_image, gzip_layer
from tests.images import OCI_MANIFEST, tar_layer
from tests.rootfs import DebianImage, debian_image

from bench.inventories import (
    LOG4J,
    advisory_batch,
    bulk_inventories,
    encode,
    image_components,
    store_scanned,
)
from bench.servers import ADMIN, Servers, Target
from bench.tables import markdown, number, percentile, ratio
from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.meta.schema import findings
from cargohold.settings import Settings

IMAGE = "dev/bench/debian"
SCAN_TIMEOUT = 300.0
MAX_PAGES = 1000  # a where-used walk stops here whatever happens
SECTIONS = ("index", "rematch", "impact")


# --- 1. indexing the image ------------------------------------------------------------------


def push(target: Target, image: DiskImage, name: str, tag: str) -> float:
    """Push over plain HTTP (``HEAD``, ``POST``, one streamed ``PUT ?digest=`` per blob, then
    the manifest); the seconds it took."""
    started = time.perf_counter()
    with httpx.Client(base_url=target.base_url, auth=target.auth, timeout=300.0) as client:
        blobs: list[tuple[str, int, bytes | Path]] = [
            (image.config_digest, len(image.config), image.config)
        ]
        blobs += [(layer.digest, layer.size, layer.path) for layer in image.layers]
        for digest, size, body in blobs:
            if client.head(f"/v2/{name}/blobs/{digest}").status_code == 200:
                continue
            begun = client.post(f"/v2/{name}/blobs/uploads/")
            if begun.status_code != 202:
                raise RuntimeError(f"{target.label}: upload start {begun.status_code}")
            location = httpx.URL(begun.headers["location"])
            content = chunks(body) if isinstance(body, Path) else body
            done = client.put(
                location,
                params=location.params.set("digest", digest),
                content=content,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )
            if done.status_code != 201:
                raise RuntimeError(f"{target.label}: upload {done.status_code} {done.text[:200]}")
        answer = client.put(
            f"/v2/{name}/manifests/{tag}",
            content=image.manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        if answer.status_code != 201:
            raise RuntimeError(f"{target.label}: manifest {answer.status_code} {answer.text[:200]}")
    return time.perf_counter() - started


def wait_scanned(target: Target, reference: str) -> tuple[str, float]:
    """Poll the scan of ``reference`` until it is no longer pending: (status, seconds)."""
    started = time.perf_counter()
    with httpx.Client(base_url=target.base_url, auth=target.auth, timeout=30.0) as client:
        while time.perf_counter() - started < SCAN_TIMEOUT:
            answer = client.get("/api/v1/scan", params={"image": reference})
            if answer.status_code == 200 and answer.json()["status"] != "pending":
                return answer.json()["status"], time.perf_counter() - started
            time.sleep(0.05)
    raise RuntimeError(f"the scan of {reference} was still pending after {SCAN_TIMEOUT:.0f} s")


@dataclass(frozen=True, slots=True)
class IndexResult:
    push_reference: float
    push_cargohold: float
    scan: float
    status: str
    rebased_push: float
    rebased_scan: float


def run_index(debian: DebianImage, workdir: Path, workers: int) -> IndexResult:
    # A second image on the same two lower layers, with another top layer.
    top = workdir / "top.tar"
    top.write_bytes(tar_layer({"etc/bench-release": b"2\n"}))
    rebased = disk_image(
        [*debian.image.layers[:2], gzip_layer(top, workdir / "top.tar.gz")], ["", "", ""]
    )
    with Servers(workdir, workers) as servers:
        cargohold, reference = servers.targets
        push_reference = push(reference, debian.image, IMAGE, "12")
        push_cargohold = push(cargohold, debian.image, IMAGE, "12")
        status, scan = wait_scanned(cargohold, f"{IMAGE}:12")
        rebased_push = push(cargohold, rebased, IMAGE, "12.1")
        _, rebased_scan = wait_scanned(cargohold, f"{IMAGE}:12.1")
        for label, lines in servers.problems().items():
            print(f"warning: {label} logged {len(lines)} error lines: {lines[:3]}", file=sys.stderr)
    return IndexResult(push_reference, push_cargohold, scan, status, rebased_push, rebased_scan)


def index_table(debian: DebianImage, result: IndexResult) -> str:
    image = debian.image
    tar_mb = sum(layer.tar_size for layer in image.layers) / 1e6
    rows = [
        ["push, docker-registry", number(result.push_reference, 2), ""],
        ["push, cargohold", number(result.push_cargohold, 2), ""],
        [f"scan after the push ({result.status})", number(result.scan, 2), ""],
        [
            "index time / push to docker-registry",
            "",
            ratio(result.scan, result.push_reference),
        ],
        [
            "push + scan, cargohold / push, docker-registry",
            "",
            ratio(result.push_cargohold + result.scan, result.push_reference),
        ],
        ["same base, new top layer: push", number(result.rebased_push, 2), ""],
        ["same base, new top layer: scan after the push", number(result.rebased_scan, 2), ""],
    ]
    title = (
        f"### Indexing a Debian 12 image: {len(image.layers)} layers, "
        f"{image.size / 1e6:.0f} MB pushed ({tar_mb:.0f} MB of tar), "
        f"{len([e for e in debian.expected if e.visible])} components\n"
    )
    return title + "\n" + markdown(["", "seconds", "ratio"], rows)


# --- 2. re-matching stored inventories ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RematchResult:
    artifacts: int
    components: int
    fill: float
    advisories: int
    import_seconds: float
    rematch: float
    affected: int
    findings: int


async def run_rematch(debian: DebianImage, artifacts: int, workdir: Path) -> RematchResult:
    settings = Settings(data_dir=workdir / "rematch", admin_password=ADMIN[1])
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    try:
        registry = build_registry(settings, store, meta)
        visible, hidden = image_components(debian.image)
        started = time.perf_counter()
        store_scanned(meta, registry.scans.cache_key, visible, hidden, artifacts, time.time())
        fill = time.perf_counter() - started
        batch = advisory_batch(visible)
        since = time.time()
        started = time.perf_counter()
        report = await registry.vulndb.import_bytes(encode(batch))
        imported = time.perf_counter() - started
        if report.problems:
            raise RuntimeError(f"advisories refused: {report.problems[:3]}")
        started = time.perf_counter()
        affected = await registry.scans.rematch(since)
        rematch = time.perf_counter() - started
        with meta.engine.connect() as connection:
            stored = connection.execute(sa.select(sa.func.count()).select_from(findings)).scalar()
    finally:
        meta.close()
    return RematchResult(
        artifacts,
        len(visible) + len(hidden),
        fill,
        len(batch),
        imported,
        rematch,
        len(affected),
        int(stored or 0),
    )


def rematch_table(result: RematchResult) -> str:
    rows = [
        [
            f"store {result.artifacts:,} scanned artifacts (metadata layer)",
            number(result.fill, 2),
        ],
        [f"import {result.advisories} advisories", number(result.import_seconds, 2)],
        ["**rematch(since)**", f"**{number(result.rematch, 2)}**"],
    ]
    title = (
        f"### Re-matching {result.artifacts:,} stored inventories "
        f"({result.components} components each) after an import\n\n"
        f"{result.affected:,} artifacts newly affected, {result.findings:,} findings stored.\n"
    )
    return title + "\n" + markdown(["", "seconds"], rows)


# --- 3. where-used ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImpactTiming:
    label: str
    items: int  # on the first page
    rest_p50: float  # first page of 100
    rest_p95: float
    total: int  # every page
    pages: int
    walk: float  # seconds to read every page of 1000


@dataclass(frozen=True, slots=True)
class ImpactResult:
    inventories: int
    below: int
    fill: float
    timings: tuple[ImpactTiming, ...]


async def walk_pages(client: httpx.AsyncClient, params: dict[str, str]) -> tuple[int, int, float]:
    """Every page of 1000, following ``next``: (items, pages, seconds). Bounded by MAX_PAGES."""
    total = pages = 0
    cursor: str | None = None
    started = time.perf_counter()
    while pages < MAX_PAGES:
        query = {**params, "limit": "1000", **({"after": cursor} if cursor else {})}
        answer = await client.get("/api/v1/impact", params=query, auth=ADMIN)
        if answer.status_code != 200:
            raise RuntimeError(f"impact page: {answer.status_code} {answer.text[:300]}")
        doc = answer.json()
        total += len(doc["items"])
        pages += 1
        cursor = doc["next"]
        if cursor is None:
            break
    return total, pages, time.perf_counter() - started


async def run_impact(inventories: int, rounds: int, workdir: Path) -> ImpactResult:
    settings = Settings(data_dir=workdir / "impact", admin_password=ADMIN[1])
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    try:
        registry = build_registry(settings, store, meta)
        started = time.perf_counter()
        below = bulk_inventories(meta, inventories, registry.scans.cache_key, time.time())
        fill = time.perf_counter() - started
        queries = [
            ("log4j-core, range <2.17.1", LOG4J, "<2.17.1"),
            ("log4j-core@2.14.1 (exact)", f"{LOG4J}@2.14.1", None),
            ("log4j-core, any version", LOG4J, None),
        ]
        timings = []
        transport = httpx.ASGITransport(app=build_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, purl, wanted in queries:
                params = {"purl": purl, **({"range": wanted} if wanted else {})}
                rest: list[float] = []
                items = 0
                for round_ in range(rounds + 2):  # two warm-up rounds
                    started = time.perf_counter()
                    answer = await client.get("/api/v1/impact", params=params, auth=ADMIN)
                    if round_ >= 2:
                        rest.append(time.perf_counter() - started)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{label}: {answer.status_code} {answer.text[:300]}")
                    items = len(answer.json()["items"])
                total, pages, walk = await walk_pages(client, params)
                rest.sort()
                timings.append(
                    ImpactTiming(
                        label,
                        items,
                        percentile(rest, 0.5) * 1000,
                        percentile(rest, 0.95) * 1000,
                        total,
                        pages,
                        walk,
                    )
                )
    finally:
        meta.close()
    return ImpactResult(inventories, below, fill, tuple(timings))


def impact_table(result: ImpactResult, rounds: int) -> str:
    rows = [
        [
            t.label,
            f"{t.items:,}",
            number(t.rest_p50),
            number(t.rest_p95),
            f"{t.total:,}",
            f"{t.pages:,}",
            number(t.walk),
        ]
        for t in result.timings
    ]
    title = (
        f"### Where-used on {result.inventories:,} stored inventories "
        f"(filled in {result.fill:.0f} s), {rounds} rounds\n\n"
        f"{result.below:,} of them hold a log4j-core below 2.17.1. Answers are pages in "
        "digest order, read from the purl index and filtered by version range and by what "
        "the caller may read; the first page holds 100, a full walk follows `next` with pages "
        "of 1000.\n"
    )
    header = [
        "query",
        "first page",
        "first page p50 (ms)",
        "p95 (ms)",
        "all pages: artifacts",
        "pages",
        "all pages (s)",
    ]
    return title + "\n" + markdown(header, rows)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", choices=SECTIONS, action="append", help="repeatable")
    parser.add_argument("--artifacts", type=int, default=1000, help="re-match: inventories")
    parser.add_argument("--inventories", type=int, default=100_000, help="where-used")
    parser.add_argument("--rounds", type=int, default=20, help="where-used: queries timed")
    parser.add_argument("--workers", type=int, default=2, help="cargohold server processes")
    args = parser.parse_args()
    sections = args.only or list(SECTIONS)
    started = time.perf_counter()
    debian = debian_image() if {"index", "rematch"} & set(sections) else None
    if debian is not None:
        print(f"image ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(
        f"# insight: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}\n"
    )
    with tempfile.TemporaryDirectory(prefix="cargohold-insight-") as name:
        workdir = Path(name)
        if "index" in sections and debian is not None:
            (workdir / "index").mkdir()
            print(index_table(debian, run_index(debian, workdir / "index", args.workers)) + "\n")
        if "rematch" in sections and debian is not None:
            result = asyncio.run(run_rematch(debian, args.artifacts, workdir))
            print(rematch_table(result) + "\n")
        if "impact" in sections:
            impact = asyncio.run(run_impact(args.inventories, args.rounds, workdir))
            print(impact_table(impact, args.rounds) + "\n")


if __name__ == "__main__":
    main()
