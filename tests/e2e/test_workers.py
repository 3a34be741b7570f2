"""Several server processes behave as one: a read that follows a write sees it on every
worker, and racing clients end in one consistent state."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.images import OCI_MANIFEST, Image, make_image, sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e
AUTH = httpx.BasicAuth(ADMIN_USER, ADMIN_PASSWORD)
NAME = "dev/workers/app"


def push(server: CargoholdServer, tag: str, image: Image, name: str = NAME) -> int:
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=30) as http:
        for blob in image.blobs:
            http.post(f"/v2/{name}/blobs/uploads/", params={"digest": sha256(blob)}, content=blob)
        response = http.put(
            f"/v2/{name}/manifests/{tag}",
            content=image.manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        return response.status_code


def fresh_get(server: CargoholdServer, path: str) -> httpx.Response:
    """A new connection each time, so successive requests land on different workers."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        return http.get(path)


@pytest.fixture(scope="module", autouse=True)
def anonymous_dev(server: CargoholdServer) -> None:
    """The reads below are anonymous, from fresh connections."""
    server.admin.allow_anonymous_read("dev")


def test_read_after_write_on_every_worker(server: CargoholdServer) -> None:
    for round_ in range(5):
        image = make_image([{"round": str(round_).encode()}])
        assert push(server, "moving", image) == 201
        for _ in range(8):
            seen = fresh_get(server, f"/v2/{NAME}/manifests/moving")
            assert seen.headers["Docker-Content-Digest"] == image.digest
    with httpx.Client(base_url=server.url, auth=AUTH) as http:
        assert http.delete(f"/v2/{NAME}/manifests/moving").status_code == 202
    for _ in range(8):
        assert fresh_get(server, f"/v2/{NAME}/manifests/moving").status_code == 404


def test_racing_pushes_of_one_tag(server: CargoholdServer) -> None:
    images = [make_image([{"racer": str(i).encode()}]) for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda im: push(server, "race", im), images))
    assert statuses == [201] * 8
    final = fresh_get(server, f"/v2/{NAME}/manifests/race")
    assert final.content in {image.manifest for image in images}
    for _ in range(6):
        assert fresh_get(server, f"/v2/{NAME}/manifests/race").content == final.content


def test_same_blob_at_once_is_stored_once(server: CargoholdServer) -> None:
    data = os.urandom(4 * 1024 * 1024)
    digest = sha256(data)

    def upload(_: int) -> int:
        with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
            started = http.post(f"/v2/{NAME}/blobs/uploads/")
            patched = http.patch(started.headers["Location"], content=data)
            return http.put(patched.headers["Location"], params={"digest": digest}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(upload, range(6))) == [201] * 6
    stored = list((server.data_dir / "storage" / "blobs").rglob(digest.removeprefix("sha256:")))
    assert len(stored) == 1
    assert stored[0].read_bytes() == data
    assert list((server.data_dir / "storage" / "uploads").iterdir()) == []


def test_opening_and_closing_a_repository_reaches_every_worker(server: CargoholdServer) -> None:
    server.admin.call("POST", "/repositories", 201, {"key": "workers-private"})
    image = make_image([{"private": b"until opened"}])
    assert push(server, "1", image, "workers-private/app") == 201
    path = "/v2/workers-private/app/manifests/1"
    assert [fresh_get(server, path).status_code for _ in range(8)] == [401] * 8

    server.admin.allow_anonymous_read("workers-private")
    assert [fresh_get(server, path).content for _ in range(8)] == [image.manifest] * 8

    closed = server.admin.call(
        "PATCH", "/repositories/workers-private", 200, {"anonymousRead": False}
    )
    assert closed["anonymousRead"] is False
    assert [fresh_get(server, path).status_code for _ in range(8)] == [401] * 8
