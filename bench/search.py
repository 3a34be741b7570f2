"""Search on 100,000 artifacts: fill a fresh data directory through the metadata layer, then
time typical ``GET /api/v1/search`` queries through the REST app and print p50/p99 per query.

    .venv/bin/python -m bench.search                      # 100,000 artifacts, 50 rounds
    .venv/bin/python -m bench.search --images 20000 --files 5000 --rounds 20
    .venv/bin/python -m bench.search --data-dir /tmp/ch-search   # keep (and reuse) the data

The requests go through the whole ASGI app in-process (``httpx.ASGITransport``): routing,
authentication, the permission filter, the queries and the JSON, without sockets. It prints
numbers and never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.meta.schema import (
    blobs,
    generic_files,
    manifest_refs,
    manifests,
    permissions,
    properties,
    tags,
    users,
)
from cargohold.meta.store import MetadataStore
from cargohold.meta.upsert import insert_ignore
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.passwords import hash_password
from cargohold.settings import Settings

ADMIN = ("admin", "bench-admin-password")
READER = ("reader", "bench-reader-password")
DOCKER_REPOSITORIES = [f"team-{i}" for i in range(7)] + ["dev", "staging", "prod"]
FILE_REPOSITORIES = ["files-dev", "files-prod"]
READER_REPOSITORIES = ["team-0", "team-1", "files-dev"]
APPS = 250  # image names (team/app-N) per docker repository
DAY = 86400.0
SPAN = 90 * DAY  # creation times spread over the last 90 days
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BATCH = 5000


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Dataset:
    images: int
    files: int
    now: float
    probe_digest: str  # an image digest that exists
    probe_file_digest: str


def fill(meta: MetadataStore, images: int, files: int, seed: int = 7) -> Dataset:
    """``images`` manifests (each with a config and a layer, a version tag, the ``latest``
    tag on the newest of each image, and build properties) spread over the docker
    repositories, and ``files`` generic files with properties, inserted in bulk."""
    rng = random.Random(seed)
    now = time.time()
    for key in DOCKER_REPOSITORIES[:7]:
        meta.repositories.create(RepositoryRecord(key, "docker", "local", False))
    for key in FILE_REPOSITORIES:
        meta.repositories.create(RepositoryRecord(key, "generic", "local", False))
    per_image = max(1, images // (len(DOCKER_REPOSITORIES) * APPS))
    probe = ""
    rows: dict[str, list[dict[str, Any]]] = {
        "manifests": [],
        "refs": [],
        "blobs": [],
        "tags": [],
        "properties": [],
    }
    engine = meta.engine

    def flush(force: bool = False) -> None:
        if not force and len(rows["manifests"]) < BATCH:
            return
        with engine.begin() as connection:
            # A blob is stored once, whatever the number of images that hold it.
            insert_ignore(connection, blobs, rows["blobs"])
            rows["blobs"].clear()
            for table, key in (
                (manifests, "manifests"),
                (manifest_refs, "refs"),
                (tags, "tags"),
                (properties, "properties"),
            ):
                if rows[key]:
                    connection.execute(table.insert(), rows[key])
                rows[key].clear()

    count = 0
    for repository in DOCKER_REPOSITORIES:
        for app in range(APPS):
            name = f"team/app-{app}"
            for build in range(per_image):
                if count == images:
                    break
                count += 1
                created = now - SPAN * (1 - (build + rng.random()) / per_image)
                digest = digest_of(f"{repository}/{name}/{build}")
                probe = probe or digest
                layer = digest_of(f"layer {name} {build}")
                config = digest_of(f"config {repository} {name} {build}")
                where = {"repository": repository, "name": name}
                rows["manifests"].append(
                    {
                        **where,
                        "digest": digest,
                        "media_type": MANIFEST,
                        "size": 500,
                        "artifact_type": None,
                        "subject": None,
                        "annotations": "{}",
                        "created_at": created,
                    }
                )
                for child, size in ((config, 1500), (layer, 2_000_000 + build)):
                    rows["refs"].append({**where, "digest": digest, "child": child})
                    rows["blobs"].append({"digest": child, "size": size, "created_at": created})
                tag_names = [f"1.0.{build}"] + (["latest"] if build == per_image - 1 else [])
                for tag in tag_names:
                    rows["tags"].append(
                        {**where, "tag": tag, "digest": digest, "updated_at": created}
                    )
                subject = f"image:{name}@{digest}"
                pairs = [("build.name", f"app-{app}"), ("build.number", str(build))]
                if build % 10 == 0:
                    pairs.append(("qa.status", "passed"))
                for key, value in pairs:
                    rows["properties"].append(
                        {
                            "repository": repository,
                            "subject": subject,
                            "key": key,
                            "value": value,
                            "updated_at": created,
                        }
                    )
                flush()
    flush(force=True)
    # Blobs are shared by content: the same layer digest is inserted once.
    file_rows: list[dict[str, Any]] = []
    file_properties: list[dict[str, Any]] = []
    probe_file = ""
    for index in range(files):
        repository = FILE_REPOSITORIES[index % len(FILE_REPOSITORIES)]
        app, build = (index // 2) % APPS, (index // 2) // APPS
        path = f"releases/app-{app}/1.0.{build}/app-{app}.tgz"
        digest = digest_of(path)
        probe_file = probe_file or digest
        created = now - SPAN * rng.random()
        file_rows.append(
            {
                "repository": repository,
                "path": path,
                "digest": digest,
                "size": 10_000 + index,
                "sha1": "0" * 40,
                "md5": "0" * 32,
                "created_at": created,
                "updated_at": created,
                "created_by": "ci",
            }
        )
        for key, value in (("build.name", f"app-{app}"), ("build.number", str(build))):
            file_properties.append(
                {
                    "repository": repository,
                    "subject": f"file:{path}",
                    "key": key,
                    "value": value,
                    "updated_at": created,
                }
            )
    with engine.begin() as connection:
        for start in range(0, len(file_rows), BATCH):
            connection.execute(generic_files.insert(), file_rows[start : start + BATCH])
        for start in range(0, len(file_properties), BATCH):
            connection.execute(properties.insert(), file_properties[start : start + BATCH])
        connection.execute(
            users.insert().values(
                name=READER[0],
                password_hash=hash_password(READER[1]),
                admin=False,
                service=False,
                created_at=now,
            )
        )
        connection.execute(
            permissions.insert().values(
                id="benchreader",
                principal=f"user:{READER[0]}",
                repositories=json.dumps(READER_REPOSITORIES),
                actions=json.dumps(["read"]),
                created_at=now,
            )
        )
    return Dataset(count, files, now, probe, probe_file)


def queries(data: Dataset) -> list[tuple[str, tuple[str, str], dict[str, str]]]:
    """(label, credentials, query parameters) of each typical search."""
    day_ago = _rfc3339(data.now - DAY)
    week_ago = _rfc3339(data.now - 7 * DAY)
    return [
        ("tag, all repositories", ADMIN, {"tag": "1.0.3"}),
        ("digest", ADMIN, {"digest": data.probe_digest}),
        ("file digest", ADMIN, {"digest": data.probe_file_digest}),
        ("exact name", ADMIN, {"name": "team/app-42"}),
        ("name glob team/app-4*", ADMIN, {"name": "team/app-4*"}),
        ("repository + name glob", ADMIN, {"repository": "dev", "name": "team/*"}),
        ("property", ADMIN, {"property": "build.name=app-42"}),
        (
            "two properties",
            ADMIN,
            {"property": ["build.name=app-42", "qa.status=passed"]},  # type: ignore[dict-item]
        ),
        ("property + repository", ADMIN, {"property": "build.name=app-42", "repository": "prod"}),
        ("common property (every 10th image)", ADMIN, {"property": "qa.status=passed"}),
        ("created in the last day", ADMIN, {"created_after": day_ago}),
        ("modified in the last week, images", ADMIN, {"modified_after": week_ago, "type": "image"}),
        ("files by path glob", ADMIN, {"repository": "files-dev", "name": "releases/app-1*/*"}),
        ("files by property", ADMIN, {"type": "file", "property": "build.name=app-7"}),
        ("everything, first page", ADMIN, {}),
        ("reader (3 repositories): tag", READER, {"tag": "1.0.3"}),
        ("reader: property", READER, {"property": "build.name=app-42"}),
        ("reader: everything", READER, {}),
    ]


def _rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass(frozen=True, slots=True)
class Timing:
    label: str
    found: int
    more: bool
    p50: float
    p99: float
    second_page: float | None


async def measure(client: httpx.AsyncClient, data: Dataset, rounds: int) -> list[Timing]:
    timings = []
    for label, auth, params in queries(data):
        samples = []
        page: dict[str, Any] = {}
        for _ in range(rounds + 2):  # two warm-up rounds
            started = time.perf_counter()
            response = await client.get("/api/v1/search", params=params, auth=auth)
            samples.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{label}: {response.status_code} {response.text[:300]}")
            page = response.json()
        second = None
        if page["next"]:
            following = []
            for _ in range(rounds):
                started = time.perf_counter()
                response = await client.get(
                    "/api/v1/search", params={**params, "after": page["next"]}, auth=auth
                )
                following.append(time.perf_counter() - started)
            second = statistics.median(following) * 1000
        samples = sorted(samples[2:])
        timings.append(
            Timing(
                label,
                len(page["items"]),
                bool(page["next"]),
                statistics.median(samples) * 1000,
                samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000,
                second,
            )
        )
    return timings


async def run(settings: Settings, data: Dataset, rounds: int) -> list[Timing]:
    store, meta = open_stores(settings, migrate=False)
    try:
        registry = build_registry(settings, store, meta)
        transport = httpx.ASGITransport(app=build_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return await measure(client, data, rounds)
    finally:
        meta.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--images", type=int, default=80_000)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, help="keep the data here (reused if filled)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cargohold-search-") as workdir:
        data_dir = args.data_dir or Path(workdir) / "data"
        settings = Settings(data_dir=data_dir, admin_password=ADMIN[1])
        marker = data_dir / "bench-search.json"
        if marker.exists():
            data = Dataset(**json.loads(marker.read_text()))
            print(
                f"reusing {data.images} images and {data.files} files in {data_dir}",
                file=sys.stderr,
            )
        else:
            prepare(settings)
            started = time.monotonic()
            _, meta = open_stores(settings, migrate=False)
            try:
                data = fill(meta, args.images, args.files)
            finally:
                meta.close()
            marker.write_text(json.dumps(asdict(data)))
            print(
                f"filled {data.images:,} images and {data.files:,} files in "
                f"{time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
        timings = asyncio.run(run(settings, data, args.rounds))
    print(
        f"# search on {data.images + data.files:,} artifacts ({data.images:,} images, "
        f"{data.files:,} files); {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {args.rounds} rounds\n"
    )
    print("| query | items on page 1 | p50 (ms) | p99 (ms) | page 2 p50 (ms) |")
    print("|:--|--:|--:|--:|--:|")
    for t in timings:
        shown = f"{t.found}{'+' if t.more else ''}"
        second = "" if t.second_page is None else f"{t.second_page:.1f}"
        print(f"| {t.label} | {shown} | {t.p50:.1f} | {t.p99:.1f} | {second} |")


if __name__ == "__main__":
    main()
