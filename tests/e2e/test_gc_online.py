"""Garbage collection runs while clients push images that share layers and delete others:
every image a push was acknowledged for pulls byte-identical afterwards, and once the grace
period has passed the bytes nothing holds are gone from the data directory.

A push may be refused (never acknowledged) when the collection deletes a blob it counted
on; the client then pushes again, as docker does when told to."""

from __future__ import annotations

import functools
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from cargohold.storage.s3.store import S3BlobStore
from tests.e2e.cli import Cli
from tests.images import OCI_MANIFEST, Image, make_image, sha256
from tests.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, stored_digests

pytestmark = pytest.mark.e2e
GRACE = 1
PUSHERS = 3
ROUNDS = 4
DEADLINE = 90.0  # seconds the whole race may take


@dataclass
class Backend:
    server: CargoholdServer
    stored: Callable[[], set[str]]  # the digests of the blobs in storage


# PostgreSQL's collector path (row locks, SKIP LOCKED) runs with S3; the filesystem's with
# SQLite: the pairing covers both databases and both stores in two races, not four.
@pytest.fixture(params=["sqlite", "postgresql-s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    env = {"CARGOHOLD_GC_GRACE_SECONDS": str(GRACE), "CARGOHOLD_GC_INTERVAL_SECONDS": "0"}
    if request.param.startswith("postgresql"):
        env["CARGOHOLD_DATABASE_URL"] = str(request.getfixturevalue("postgresql_url"))
    data = tmp_path / "data"
    stored = functools.partial(stored_digests, data)
    if request.param.endswith("s3"):
        seaweedfs: SeaweedFS = request.getfixturevalue("seaweedfs")
        env.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            CARGOHOLD_STORAGE_URL=seaweedfs.url(tmp_path.name),
        )
        store = S3BlobStore(seaweedfs.location(tmp_path.name), (ACCESS_KEY, SECRET_KEY))
        stored = functools.partial(anyio.run, objects_of, store)
    started = CargoholdServer(data, env=env).start()
    request.addfinalizer(started.stop)
    return Backend(started, stored)


async def objects_of(store: S3BlobStore) -> set[str]:
    return {str(blob.digest) async for blob in store.stored()}


def push(http: httpx.Client, name: str, tag: str, image: Image) -> bool:
    """Push as docker does: skip the blobs the image already holds. Whether the registry
    acknowledged the manifest. The manifest goes up to twice the grace period after the
    blobs, like a slow client's: by then the collector may have deleted them."""
    for blob in image.blobs:
        if http.head(f"/v2/{name}/blobs/{sha256(blob)}").status_code == 200:
            continue
        stored = http.post(
            f"/v2/{name}/blobs/uploads/", params={"digest": sha256(blob)}, content=blob
        )
        if stored.status_code != 201:
            assert stored.status_code in (400, 503), stored.text  # collected meanwhile: retry
            return False
    time.sleep(random.uniform(0, 2 * GRACE))
    response = http.put(
        f"/v2/{name}/manifests/{tag}",
        content=image.manifest,
        headers={"Content-Type": OCI_MANIFEST},
    )
    if response.status_code == 201:
        return True
    assert response.status_code in (400, 503), response.text
    return False


def test_collection_in_a_loop_while_clients_push_shared_layers_and_delete(
    backend: Backend, tmp_path: Path
) -> None:
    server = backend.server
    bases = [{f"base{i}": os.urandom(30_000)} for i in range(3)]
    acknowledged: dict[tuple[str, str], Image] = {}
    lock = threading.Lock()
    refused = [0]
    collections = [0]
    stop = threading.Event()
    failures: list[BaseException] = []
    deadline = time.monotonic() + DEADLINE

    def pusher(number: int) -> None:
        name = f"dev/race/p{number}"
        mine: list[tuple[str, Image]] = []
        with httpx.Client(
            base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=60
        ) as http:
            for round_ in range(ROUNDS):
                image = make_image(
                    [bases[(number + round_) % 3], {f"own{round_}": os.urandom(20_000)}]
                )
                tag = f"r{round_}"
                while not push(http, name, tag, image):
                    refused[0] += 1
                    assert time.monotonic() < deadline, "pushes kept being refused"
                with lock:
                    acknowledged[(name, tag)] = image
                mine.append((tag, image))
                if round_ % 2 == 1:  # delete an older image of this client
                    old_tag, old = mine.pop(0)
                    with lock:
                        del acknowledged[(name, old_tag)]
                    deleted = http.delete(f"/v2/{name}/manifests/{old.digest}")
                    assert deleted.status_code == 202, deleted.text

    def collector() -> None:
        with httpx.Client(
            base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=60
        ) as http:
            while not stop.is_set() and time.monotonic() < deadline:
                report = http.post("/api/v1/gc", json={"dryRun": False})
                assert report.status_code == 200, report.text
                collections[0] += 1

    def guarded(target: object, *args: object) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)  # type: ignore[operator]
            except BaseException as exc:  # reported by the test below
                failures.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    collecting = guarded(collector)
    pushers = [guarded(pusher, n) for n in range(PUSHERS)]
    for thread in pushers:
        thread.join(DEADLINE)
    stop.set()
    collecting.join(DEADLINE)
    assert not failures, failures
    print(f"{collections[0]} collections; {refused[0]} pushes refused and pushed again")

    with httpx.Client(base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=60) as http:
        for (name, tag), image in sorted(acknowledged.items()):
            manifest = http.get(f"/v2/{name}/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
            assert manifest.status_code == 200 and manifest.content == image.manifest
            for blob in image.blobs:
                pulled = http.get(f"/v2/{name}/blobs/{sha256(blob)}")
                assert pulled.status_code == 200 and pulled.content == blob, (name, tag)

        # After the grace period, what nothing holds is gone and nothing else.
        time.sleep(GRACE + 0.5)
        assert http.post("/api/v1/gc", json={}).status_code == 200
    live = {
        sha256(data) for image in acknowledged.values() for data in (*image.blobs, image.manifest)
    }
    assert backend.stored() == live
    assert len(acknowledged) == PUSHERS * (ROUNDS - ROUNDS // 2)

    # The CLI says the same: nothing left to collect, and why a live blob stays.
    cli = Cli.fresh(server, tmp_path)
    dry = cli.run("gc", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would free 0 B in 0 blobs")
    (name, tag), image = next(iter(sorted(acknowledged.items())))
    why = cli.run("gc", "why", sha256(image.layers[1]))
    assert why.returncode == 0, why.stderr
    assert "live: garbage collection keeps it" in why.stdout
    rows = [line.split() for line in why.stdout.splitlines()]
    assert ["layer", "dev", name.removeprefix("dev/"), image.digest, tag] in rows
