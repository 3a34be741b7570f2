"""The upstreams the remote-repository tests stand on do what those tests will rely on:
docker-registry keeps what is pushed and counts what it is asked, behind Basic auth or as a
pull-through cache too; the fault proxy passes pulls through, a cargohold's token flow
included, and fails exactly the requests it is told to, the way it is told to."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import OCI_MANIFEST, make_image, sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, wait_for
from tests.upstreams import DockerRegistry, FaultProxy, push_image

pytestmark = pytest.mark.e2e

# The second layer is random bytes, so that it stays about 512 KiB gzipped.
IMAGE = make_image([{"hello": b"hello\n"}, {"big.bin": random.Random(15).randbytes(512 * 1024)}])
BIG = IMAGE.layers[1]
BLOB_PATH = f"/v2/lib/app/blobs/{sha256(BIG)}"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerRegistry]:
    running = DockerRegistry(tmp_path_factory.mktemp("upstream")).start()
    with running.client() as http:
        push_image(http, "lib/app", "1.0", IMAGE)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def proxy(registry: DockerRegistry) -> Iterator[FaultProxy]:
    running = FaultProxy(registry.url).start()
    yield running
    running.stop()


@pytest.fixture
def faults(proxy: FaultProxy) -> Iterator[FaultProxy]:
    yield proxy
    proxy.clear()
    proxy.up()


def pull(base: str, name: str = "lib/app", headers: dict[str, str] | None = None) -> list[bytes]:
    """The manifest and every blob of ``name:1.0``, each checked against its digest."""
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        manifest = http.get(f"/v2/{name}/manifests/1.0", headers={"Accept": OCI_MANIFEST})
        assert manifest.status_code == 200, manifest.text
        assert manifest.headers["docker-content-digest"] == sha256(manifest.content)
        got = [manifest.content]
        for blob in IMAGE.blobs:
            answer = http.get(f"/v2/{name}/blobs/{sha256(blob)}")
            assert answer.status_code == 200
            assert sha256(answer.content) == sha256(blob)
            got.append(answer.content)
        return got


def test_a_pull_passes_through_the_proxy_and_both_count_it(
    registry: DockerRegistry, faults: FaultProxy
) -> None:
    before = registry.requests(BLOB_PATH, "GET"), faults.requests(BLOB_PATH)
    assert pull(faults.url)[1:] == IMAGE.blobs
    assert registry.requests(BLOB_PATH, "GET") == before[0] + 1
    assert faults.requests(BLOB_PATH) == before[1] + 1
    assert registry.requests(r"/v2/lib/app/manifests/1\.0", "GET") >= 1


def test_a_push_goes_through_the_proxy_uploads_included(
    registry: DockerRegistry, faults: FaultProxy
) -> None:
    with httpx.Client(base_url=faults.url, timeout=10) as http:
        push_image(http, "lib/pushed", "1.0", IMAGE)
    # The upload's Location named the proxy, so the blobs went through it.
    assert faults.requests(r"/v2/lib/pushed/blobs/uploads/.+", "PUT") == len(IMAGE.blobs)
    assert pull(registry.url, "lib/pushed")[1:] == IMAGE.blobs


def test_a_cut_body_reaches_the_client_short_then_the_next_request_is_whole(
    faults: FaultProxy,
) -> None:
    faults.cut(re.escape(BLOB_PATH), after_bytes=10_000)
    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", faults.url + BLOB_PATH, timeout=10) as answer,
    ):
        assert answer.headers["content-length"] == str(len(BIG))
        for piece in answer.iter_bytes():
            received += piece
    assert len(received) == 10_000
    whole = httpx.get(faults.url + BLOB_PATH, timeout=10)
    assert hashlib.sha256(whole.content).hexdigest() == sha256(BIG).removeprefix("sha256:")


def test_throttling_and_unavailability_are_answered_without_asking_the_upstream(
    registry: DockerRegistry, faults: FaultProxy
) -> None:
    manifests = r"/v2/lib/app/manifests/.*"
    asked = registry.requests(manifests)
    faults.throttle(manifests, retry_after=7, times=2)
    faults.unavailable(manifests)
    faults.throttle(BLOB_PATH, retry_after=1, method="HEAD")
    accept = {"Accept": OCI_MANIFEST}  # docker-registry has no other form of an OCI manifest
    with httpx.Client(base_url=faults.url, headers=accept, timeout=10) as http:
        answers = [http.get("/v2/lib/app/manifests/1.0") for _ in range(4)]
        # A HEAD is answered without a body, and the connection serves the next request.
        assert http.head(BLOB_PATH).status_code == 429
        assert http.head(BLOB_PATH).status_code == 200
    assert [a.status_code for a in answers] == [429, 429, 503, 200]
    assert answers[0].headers["retry-after"] == "7"
    assert answers[0].json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert registry.requests(manifests) == asked + 1
    assert [e.fault for e in faults.exchanges[-6:]] == ["status"] * 3 + ["", "status", ""]


def test_a_down_upstream_refuses_connections_until_it_is_up(faults: FaultProxy) -> None:
    faults.down()
    with pytest.raises(httpx.ConnectError):
        httpx.get(faults.url + "/v2/", timeout=5)
    faults.up()
    assert httpx.get(faults.url + "/v2/", timeout=5).status_code == 200


def test_a_stalled_answer_times_the_client_out(faults: FaultProxy) -> None:
    faults.stall("/v2/", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(faults.url + "/v2/", timeout=0.1)
    assert httpx.get(faults.url + "/v2/", timeout=5).status_code == 200


def test_a_registry_with_basic_auth_asks_for_it(tmp_path: Path) -> None:
    guarded = DockerRegistry(tmp_path / "guarded", users={"puller": "pull-secret"}).start()
    try:
        assert httpx.get(guarded.url + "/v2/").status_code == 401
        with guarded.client(("puller", "pull-secret")) as http:
            push_image(http, "lib/app", "1.0", IMAGE)
        with guarded.client(("puller", "wrong")) as http:
            assert http.get("/v2/lib/app/manifests/1.0").status_code == 401
        with guarded.client(("puller", "pull-secret")) as http:
            assert http.get(BLOB_PATH).content == BIG
    finally:
        guarded.stop()


def test_a_pull_through_cache_serves_from_its_store_once_it_holds_the_blobs(
    registry: DockerRegistry, tmp_path: Path
) -> None:
    cache = DockerRegistry(tmp_path / "cache", proxy=registry.url).start()
    paths = [f"/v2/lib/app/blobs/{sha256(blob)}" for blob in IMAGE.blobs]
    try:
        before = [registry.requests(path, "GET") for path in paths]
        assert pull(cache.url)[1:] == IMAGE.blobs
        first = [registry.requests(path, "GET") for path in paths]
        assert all(now > then for now, then in zip(first, before, strict=True))
        wait_for(lambda: all(cache.holds(sha256(blob)) for blob in IMAGE.blobs), "cache store")
        first = [registry.requests(path, "GET") for path in paths]
        assert pull(cache.url)[1:] == IMAGE.blobs
        assert [registry.requests(path, "GET") for path in paths] == first
        assert cache.requests(BLOB_PATH, "GET") == 2
    finally:
        cache.stop()


def test_a_cargohold_upstream_hands_out_tokens_through_the_proxy(
    server: CargoholdServer,
) -> None:
    server.admin.call("POST", "/repositories", 201, {"key": "lib", "format": "docker"})
    with httpx.Client(base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=10) as http:
        push_image(http, "lib/app", "1.0", IMAGE)
    proxy = FaultProxy(server.url).start()
    try:
        challenge = httpx.get(proxy.url + "/v2/", timeout=5).headers["www-authenticate"]
        realm = re.search(r'realm="([^"]+)"', challenge)
        assert realm is not None and realm.group(1) == f"{proxy.url}/v2/token"
        token = httpx.get(
            realm.group(1),
            params={"service": "cargohold", "scope": "repository:lib/app:pull"},
            auth=(ADMIN_USER, ADMIN_PASSWORD),
            timeout=5,
        ).json()["token"]
        assert pull(proxy.url, headers={"Authorization": f"Bearer {token}"})[1:] == IMAGE.blobs
        assert proxy.requests("/v2/token") == 1
    finally:
        proxy.stop()
