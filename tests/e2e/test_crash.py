"""kill -9 of the real server mid-upload, mid-manifest-put and right after a manifest commit
loses nothing and leaves nothing half-visible; the next start is clean, and what a committed
push causes (its webhook, its scan) still happens."""

from __future__ import annotations

import base64
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import OCI_MANIFEST, make_image, sha256
from tests.receiver import Receiver
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e
AUTH = httpx.BasicAuth(ADMIN_USER, ADMIN_PASSWORD)
BASIC = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
NAME = "dev/crash/app"
CRASH_HOOK = Path(__file__).parent / "crash_hook"


@pytest.fixture
def crashable(tmp_path: Path) -> Iterator[CargoholdServer]:
    server = CargoholdServer(tmp_path / "data").start()
    yield server
    server.stop()


def send_partial(
    server: CargoholdServer, method: str, path: str, headers: dict[str, str], body: bytes
) -> socket.socket:
    """Send a request whose body stops short of its Content-Length, and leave it hanging."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = f"{method} {path} HTTP/1.1\r\nHost: {server.host}\r\nAuthorization: Basic {BASIC}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode() + body)
    return sock


def wait_for_bytes(path: Path, at_least: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sizes = [f.stat().st_size for f in path.iterdir() if f.is_file()] if path.exists() else []
        if sizes and max(sizes) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"server never wrote {at_least} bytes under {path}")


def assert_database_clean(server: CargoholdServer) -> None:
    with sqlite3.connect(server.data_dir / "cargohold.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_kill_mid_upload_then_resume(crashable: CargoholdServer) -> None:
    data = os.urandom(8 * 1024 * 1024)
    digest = sha256(data)
    with httpx.Client(base_url=crashable.url, auth=AUTH) as http:
        started = http.post(f"/v2/{NAME}/blobs/uploads/")
        location = started.headers["Location"]
    sent = 3 * 1024 * 1024
    sock = send_partial(
        crashable,
        "PATCH",
        location,
        {"Content-Length": str(len(data)), "Content-Type": "application/octet-stream"},
        data[:sent],
    )
    wait_for_bytes(crashable.data_dir / "storage" / "uploads", 1024 * 1024)
    crashable.kill9()
    sock.close()

    crashable.start()
    assert_database_clean(crashable)
    with httpx.Client(base_url=crashable.url, auth=AUTH) as http:
        assert http.head(f"/v2/{NAME}/blobs/{digest}").status_code == 404
        status = http.get(location)
        assert status.status_code == 204
        received = int(status.headers["Range"].split("-")[1]) + 1
        assert 0 < received <= sent
        resumed = http.patch(
            location,
            content=data[received:],
            headers={"Content-Range": f"{received}-{len(data) - 1}"},
        )
        assert resumed.status_code == 202, resumed.text
        done = http.put(resumed.headers["Location"], params={"digest": digest})
        assert done.status_code == 201, done.text
        assert http.get(f"/v2/{NAME}/blobs/{digest}").content == data


def test_kill_mid_manifest_put(crashable: CargoholdServer) -> None:
    image = make_image([{"crash": os.urandom(1000)}])
    with httpx.Client(base_url=crashable.url, auth=AUTH) as http:
        for blob in image.blobs:
            response = http.post(
                f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(blob)}, content=blob
            )
            assert response.status_code == 201
    sock = send_partial(
        crashable,
        "PUT",
        f"/v2/{NAME}/manifests/1.0",
        {"Content-Length": str(len(image.manifest)), "Content-Type": OCI_MANIFEST},
        image.manifest[: len(image.manifest) // 2],
    )
    time.sleep(0.5)
    crashable.kill9()
    sock.close()

    crashable.start()
    assert_database_clean(crashable)
    with httpx.Client(base_url=crashable.url, auth=AUTH) as http:
        assert http.get(f"/v2/{NAME}/manifests/1.0").status_code == 404
        assert http.get(f"/v2/{NAME}/manifests/{image.digest}").status_code == 404
        assert http.get("/v2/_catalog").json()["repositories"] == []
        pushed = http.put(
            f"/v2/{NAME}/manifests/1.0",
            content=image.manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        assert pushed.status_code == 201
        assert http.get(f"/v2/{NAME}/manifests/1.0").content == image.manifest


def test_kill_after_push_keeps_everything(crashable: CargoholdServer) -> None:
    image = make_image([{"durable": os.urandom(100_000)}, {"more": b"x"}])
    with httpx.Client(base_url=crashable.url, auth=AUTH) as http:
        for blob in image.blobs:
            http.post(f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(blob)}, content=blob)
        pushed = http.put(
            f"/v2/{NAME}/manifests/stable",
            content=image.manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        assert pushed.status_code == 201
    crashable.kill9()
    crashable.start()
    assert_database_clean(crashable)
    with httpx.Client(base_url=crashable.url, auth=AUTH) as http:
        assert http.get(f"/v2/{NAME}/manifests/stable").content == image.manifest
        for blob in image.blobs:
            assert http.get(f"/v2/{NAME}/blobs/{sha256(blob)}").content == blob


def test_a_crash_right_after_a_manifest_commit_loses_neither_its_webhook_nor_its_scan(
    tmp_path: Path, receiver: Receiver
) -> None:
    hooked = CargoholdServer(
        tmp_path / "data",
        env={"PYTHONPATH": str(CRASH_HOOK), "CARGOHOLD_TEST_CRASH_AFTER_TAG": "crash"},
    ).start()
    try:
        hooked.admin.call(
            "POST",
            "/webhooks",
            201,
            {"name": "ci", "url": receiver.url, "secret": "s" * 32, "repositories": ["dev"]},
        )
        image = make_image([{"app/crash.txt": b"pushed just before the power went out"}])
        with pytest.raises(httpx.TransportError):
            hooked.push(NAME, "crash", image)
        assert hooked.process is not None
        assert hooked.process.wait(timeout=10) == -9  # the hook did crash it
        hooked.process = None
    finally:
        hooked.kill9()
    assert receiver.requests == []  # nothing was sent before the crash

    restarted = CargoholdServer(hooked.data_dir, port=hooked.port).start()
    try:
        assert_database_clean(restarted)
        with httpx.Client(base_url=restarted.url, auth=AUTH, timeout=10) as http:
            pulled = http.get(f"/v2/{NAME}/manifests/crash")
            assert pulled.status_code == 200
            assert pulled.content == image.manifest
            (delivered,) = receiver.wait_for(1)
            event = delivered.event
            assert event["type"] == "dev.cargohold.push"
            assert event["data"]["digest"] == image.digest
            assert event["data"]["tag"] == "crash"
            deadline = time.monotonic() + 60
            while (scan := http.get("/api/v1/scan", params={"image": f"{NAME}:crash"})).json()[
                "status"
            ] == "pending":
                assert time.monotonic() < deadline, scan.text
                time.sleep(0.2)
            assert scan.status_code == 200
            assert scan.json()["status"] == "done", scan.text
            assert scan.json()["digest"] == image.digest
    finally:
        restarted.stop()


def test_sigterm_shuts_down_cleanly(crashable: CargoholdServer) -> None:
    assert crashable.stop() == 0
    crashable.start()
