"""A full disk: the write fails with a clear error, nothing is half-visible, the refused
upload leaves no byte behind, and once space is freed the registry works on at once with
everything it held."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import OCI_MANIFEST, Image, make_image, sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e
NAME = "dev/full/app"
DISK = 12 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 12 MiB tmpfs as the data directory (the test suite runs as root)."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mountpoint)], check=True
    )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def push(http: httpx.Client, image: Image, tag: str) -> int:
    for blob in image.blobs:
        response = http.post(
            f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(blob)}, content=blob
        )
        if response.status_code != 201:
            return response.status_code
    return http.put(
        f"/v2/{NAME}/manifests/{tag}",
        content=image.manifest,
        headers={"Content-Type": OCI_MANIFEST},
    ).status_code


def left_behind(data_dir: Path) -> tuple[list[str], list[str]]:
    """The upload files in the data directory and the upload sessions in the database."""
    files = sorted(os.listdir(data_dir / "storage" / "uploads"))
    with contextlib.closing(sqlite3.connect(data_dir / "cargohold.db")) as db:
        rows = [row[0] for row in db.execute("SELECT id FROM uploads")]
    return files, rows


def fill(disk: Path, leave: int) -> Path:
    """A file that takes all the disk's free space but ``leave`` bytes, as other data would."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(stats.f_bavail * stats.f_frsize - leave, 0))
    return filler


def test_full_disk(small_disk: Path) -> None:
    data = small_disk / "data"
    server = CargoholdServer(data).start()
    try:
        with httpx.Client(
            base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=60
        ) as http:
            before = make_image([{"before": os.urandom(50_000)}])
            assert push(http, before, "before") == 201

            # A chunk the disk has no room for: refused, and the upload is discarded at
            # once, its bytes and its session, so the space is free again.
            big = os.urandom(2 * DISK)
            started = http.post(f"/v2/{NAME}/blobs/uploads/")
            location = started.headers["Location"]
            refused = http.patch(location, content=big)
            assert refused.status_code == 507
            message = refused.json()["errors"][0]["message"]
            assert "storage is full" in message and "discarded" in message, message
            assert "start it again" in message
            assert left_behind(data) == ([], [])
            assert http.get(location).status_code == 404
            assert http.head(f"/v2/{NAME}/blobs/{sha256(big)}").status_code == 404

            after = make_image([{"after": os.urandom(50_000)}])
            assert push(http, after, "after") == 201  # at once: nothing to clean up first

            # One-request uploads (OCI and generic) while other data fills the disk: no
            # file stays behind, and once that space is freed the same push succeeds.
            server.admin.call("POST", "/repositories", 201, {"key": "files", "format": "generic"})
            layer = os.urandom(4 * 1024 * 1024)
            filler = fill(small_disk, leave=2 * 1024 * 1024)
            monolithic = http.post(
                f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(layer)}, content=layer
            )
            assert monolithic.status_code == 507
            assert "discarded" in monolithic.json()["errors"][0]["message"]
            generic = http.put("/generic/files/big.bin", content=layer)
            assert generic.status_code == 507
            assert "discarded" in generic.json()["errors"][0]["message"]
            assert left_behind(data) == ([], [])
            filler.unlink()
            assert (
                http.post(
                    f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(layer)}, content=layer
                ).status_code
                == 201
            )
            assert http.put("/generic/files/big.bin", content=layer).status_code == 201
            assert http.get("/generic/files/big.bin").content == layer

            for image, tag in ((before, "before"), (after, "after")):
                assert http.get(f"/v2/{NAME}/manifests/{tag}").content == image.manifest
                for blob in image.blobs:
                    assert http.get(f"/v2/{NAME}/blobs/{sha256(blob)}").content == blob
        # a full disk is an expected condition, answered with a clear 507: no stack traces,
        # also not from the audit log that cannot be written while the disk is full
        log = server.log()
        assert "Traceback" not in log, log
    finally:
        server.stop()
    with sqlite3.connect(small_disk / "data" / "cargohold.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
