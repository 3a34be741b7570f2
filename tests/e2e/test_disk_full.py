"""A full disk: the write fails with a clear error, nothing is half-visible, and once space
is freed the registry works on with everything it held."""

from __future__ import annotations

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


def test_full_disk(small_disk: Path) -> None:
    server = CargoholdServer(small_disk / "data").start()
    try:
        with httpx.Client(
            base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=60
        ) as http:
            before = make_image([{"before": os.urandom(50_000)}])
            assert push(http, before, "before") == 201

            big = os.urandom(2 * DISK)
            started = http.post(f"/v2/{NAME}/blobs/uploads/")
            location = started.headers["Location"]
            refused = http.patch(location, content=big)
            assert refused.status_code == 507
            error = refused.json()["errors"][0]
            assert "storage is full" in error["message"]
            assert http.head(f"/v2/{NAME}/blobs/{sha256(big)}").status_code == 404

            after = make_image([{"after": os.urandom(50_000)}])
            assert push(http, after, "after") == 507
            assert http.get(f"/v2/{NAME}/manifests/after").status_code == 404

            assert http.delete(location).status_code == 204  # frees the space
            assert push(http, after, "after") == 201
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
