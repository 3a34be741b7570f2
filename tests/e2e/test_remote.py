"""Remote repositories against real upstreams on loopback: Debian's docker-registry (behind a
proxy that misbehaves on demand) and a second cargohold, which asks for docker's token flow.

One cargohold with two workers serves every test: a crowd's requests land on both, so one
upstream request per object holds across processes, not just within one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fault_proxy import FaultProxy
from tests.images import Image, make_image, sha256
from tests.integration.test_policies import ADVISORIES, clean, vulnerable
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, wait_for
from tests.upstreams import DockerRegistry, push_image

AUTH = (ADMIN_USER, ADMIN_PASSWORD)
ACCEPT = {
    "Accept": "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json"
}


def _image(label: str, layers: int = 2, size: int = 64 * 1024) -> Image:
    """An image of ``layers`` layers of about ``size`` incompressible bytes each."""
    import os

    return make_image([{f"{label}-{i}.bin": os.urandom(size)} for i in range(layers)], label=label)


@pytest.fixture(scope="module")
def proxy(upstream: DockerRegistry) -> Iterator[FaultProxy]:
    faulty = FaultProxy(upstream.url).start()
    yield faulty
    faulty.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path_factory.mktemp("cargohold") / "data", workers=2).start()
    yield running
    running.stop()


@pytest.fixture
def own_proxy(upstream: DockerRegistry) -> Iterator[FaultProxy]:
    """A proxy of the test's own: an upstream origin whose gate (closed by a 429 or by
    failures) no other test shares."""
    faulty = FaultProxy(upstream.url).start()
    yield faulty
    faulty.stop()


def _create(server: CargoholdServer, **body: Any) -> dict[str, Any]:
    created: dict[str, Any] = server.admin.call("POST", "/repositories", 201, body)
    return created


@pytest.fixture(scope="module")
def hub(server: CargoholdServer, proxy: FaultProxy) -> str:
    """A remote repository of the docker-registry, through the proxy, revalidating every
    tag pull (period 0) so that revalidation and outages show at once."""
    _create(
        server,
        key="hub",
        format="docker",
        kind="remote",
        upstream=proxy.url,
        revalidateSeconds=0,
        timeoutSeconds=5,
    )
    return "hub"


def _push(upstream: DockerRegistry, name: str, tag: str, image: Image) -> None:
    with upstream.client() as http:
        push_image(http, name, tag, image)


def _pull(server: CargoholdServer, name: str, reference: str) -> tuple[str, dict[str, bytes]]:
    """Pull manifest and blobs as a client would; the manifest digest and each blob."""
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
        manifest = http.get(f"/v2/{name}/manifests/{reference}", headers=ACCEPT)
        assert manifest.status_code == 200, manifest.text
        document = manifest.json()
        blobs = {}
        for descriptor in [document["config"], *document["layers"]]:
            blob = http.get(f"/v2/{name}/blobs/{descriptor['digest']}")
            assert blob.status_code == 200, blob.text
            assert sha256(blob.content) == descriptor["digest"]
            blobs[descriptor["digest"]] = blob.content
        return manifest.headers["Docker-Content-Digest"], blobs


def server_holds(server: CargoholdServer, digest: str) -> bool:
    """Whether the blob's bytes are in the server's store."""
    hexdigest = digest.removeprefix("sha256:")
    blobs = server.data_dir / "storage" / "blobs" / "sha256"
    return (blobs / hexdigest[:2] / hexdigest).is_file()


def _blob_gets(proxy: FaultProxy, image: str) -> int:
    return proxy.requests(rf"/v2/{image}/blobs/sha256:[0-9a-f]{{64}}", "GET")


def test_a_first_pull_fetches_and_later_pulls_are_served_locally(
    server: CargoholdServer, upstream: DockerRegistry, proxy: FaultProxy, hub: str
) -> None:
    image = _image("first")
    _push(upstream, "tools/first", "1.0", image)
    digest, blobs = _pull(server, "hub/tools/first", "1.0")
    assert digest == image.digest
    assert blobs == {sha256(b): b for b in image.blobs}
    assert proxy.requests(r"/v2/tools/first/manifests/1\.0", "GET") == 1
    assert _blob_gets(proxy, "tools/first") == len(image.blobs)

    _pull(server, "hub/tools/first", "1.0")
    _pull(server, "hub/tools/first", digest)
    # The tag was revalidated with a HEAD (period 0); nothing was fetched again, and the pull
    # by digest asked nothing at all.
    assert proxy.requests(r"/v2/tools/first/manifests/1\.0", "GET") == 1
    assert proxy.requests(r"/v2/tools/first/manifests/1\.0", "HEAD") == 1
    assert proxy.requests(rf"/v2/tools/first/manifests/{digest}") == 0
    assert _blob_gets(proxy, "tools/first") == len(image.blobs)


def test_a_crowd_of_cold_pulls_asks_the_upstream_once_per_object(
    server: CargoholdServer, upstream: DockerRegistry, proxy: FaultProxy, hub: str
) -> None:
    image = _image("crowd", layers=3, size=64 * 1024)
    _push(upstream, "tools/crowd", "1.0", image)
    wanted = {sha256(b): b for b in image.blobs}

    async def one(http: httpx.AsyncClient) -> str:
        manifest = await http.get("/v2/hub/tools/crowd/manifests/1.0", headers=ACCEPT)
        assert manifest.status_code == 200, manifest.text
        document = manifest.json()
        for descriptor in [document["config"], *document["layers"]]:
            blob = await http.get(f"/v2/hub/tools/crowd/blobs/{descriptor['digest']}")
            assert blob.status_code == 200, blob.text
            assert blob.content == wanted[descriptor["digest"]]
        return manifest.headers["Docker-Content-Digest"]

    async def crowd() -> list[str]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(
            base_url=server.url, auth=AUTH, timeout=120, limits=limits
        ) as http:
            return await asyncio.gather(*(one(http) for _ in range(200)))

    assert set(asyncio.run(crowd())) == {image.digest}
    assert proxy.requests(r"/v2/tools/crowd/manifests/1\.0", "GET") == 1
    for digest in wanted:
        assert proxy.requests(rf"/v2/tools/crowd/blobs/{digest}", "GET") == 1, digest
    # The upstream's own access log says the same (it writes a line once it has answered).
    pulled = r"/v2/tools/crowd/(manifests/1\.0|blobs/sha256:[0-9a-f]{64})"
    wait_for(lambda: upstream.requests(pulled, "GET") >= 1 + len(wanted), "the access log")
    assert upstream.requests(pulled, "GET") == 1 + len(wanted)


def test_a_blob_cut_midway_is_resumed_or_started_over_and_never_half_stored(
    server: CargoholdServer, upstream: DockerRegistry, own_proxy: FaultProxy
) -> None:
    proxy = own_proxy
    _create(server, key="cut", format="docker", kind="remote", upstream=proxy.url)
    image = _image("cut", layers=1, size=1024 * 1024)
    _push(upstream, "tools/cut", "1.0", image)
    layer = sha256(image.blobs[1])  # blobs: config first, then the layer
    path = rf"/v2/tools/cut/blobs/{layer}"
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
        # Every attempt cut: the client gets a broken download, and nothing is stored.
        proxy.cut(path, after_bytes=100_000, times=None)
        assert http.get("/v2/cut/tools/cut/manifests/1.0", headers=ACCEPT).status_code == 200
        with pytest.raises(httpx.HTTPError):
            http.get(f"/v2/cut/tools/cut/blobs/{layer}")
        assert not server_holds(server, layer)
        proxy.clear()
        # One cut: the fetch resumes from where it was cut (Range), the client gets it all.
        proxy.cut(path, after_bytes=300_000, times=1)
        before = proxy.requests(path, "GET")
        whole = http.get(f"/v2/cut/tools/cut/blobs/{layer}")
        assert whole.status_code == 200 and whole.content == image.blobs[1]
    assert proxy.requests(path, "GET") == before + 2  # the cut request, then the resumed one
    assert server_holds(server, layer)


def test_a_blob_whose_size_the_upstream_does_not_say_streams_whole(
    server: CargoholdServer, upstream: DockerRegistry, own_proxy: FaultProxy
) -> None:
    proxy = own_proxy
    _create(server, key="unsized", format="docker", kind="remote", upstream=proxy.url)
    image = _image("unsized", layers=1, size=2 * 1024 * 1024)
    _push(upstream, "tools/unsized", "1.0", image)
    layer = sha256(image.blobs[1])
    # The layer's first bytes come at once, the rest a second later: the pull below joins
    # the fetch the manifest started while its size is still unknown.
    proxy.unsized(rf"/v2/tools/unsized/blobs/{layer}", pause=1.0, times=None)
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
        assert http.get("/v2/unsized/tools/unsized/manifests/1.0", headers=ACCEPT).is_success
        blob = http.get(f"/v2/unsized/tools/unsized/blobs/{layer}")
        assert blob.status_code == 200
        # Sent as it arrives, its length unknown until its end: chunked, never "0".
        assert "content-length" not in blob.headers
        assert blob.content == image.blobs[1]
        stored = http.head(f"/v2/unsized/tools/unsized/blobs/{layer}")
        assert stored.headers["content-length"] == str(len(image.blobs[1]))
    assert [e.fault for e in proxy.exchanges if e.path.endswith(layer)] == ["unsized"]


@pytest.mark.parametrize("fault", ["down", "slow", "429", "503"])
def test_an_upstream_that_fails_has_cached_tags_served_stale(
    server: CargoholdServer, upstream: DockerRegistry, own_proxy: FaultProxy, fault: str
) -> None:
    proxy, key = own_proxy, f"stale-{fault}"
    _create(
        server,
        key=key,
        format="docker",
        kind="remote",
        upstream=proxy.url,
        revalidateSeconds=0,  # every pull by tag asks the upstream first
        timeoutSeconds=1,
    )
    image = _image(key)
    _push(upstream, f"tools/{key}", "1.0", image)
    digest, _ = _pull(server, f"{key}/tools/{key}", "1.0")
    tag = rf"/v2/tools/{key}/manifests/.*"
    if fault == "down":
        proxy.down()
    elif fault == "slow":
        proxy.stall(tag, 1.5, times=None)
    else:
        proxy.answer(tag, int(fault), retry_after=30 if fault == "429" else None, times=None)
    try:
        with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
            again = http.get(f"/v2/{key}/tools/{key}/manifests/1.0", headers=ACCEPT)
            assert again.status_code == 200 and again.headers["Docker-Content-Digest"] == digest
            missing = http.get(f"/v2/{key}/tools/{key}/manifests/2.0", headers=ACCEPT)
            # Nothing cached to fall back on: the failure (or, while the upstream's gate is
            # closed after it, the wait) is said, naming the upstream.
            assert missing.status_code in (429, 503), missing.text
            error = missing.json()["errors"][0]
            assert error["code"] in ("UNAVAILABLE", "TOOMANYREQUESTS")
            assert "upstream" in error["message"]
    finally:
        proxy.clear()
        if fault == "down":
            proxy.up()
    assert f"of remote repository '{key}' from its cache" in server.log()


def test_retry_after_is_honoured_by_every_request_to_that_upstream(
    server: CargoholdServer, upstream: DockerRegistry, own_proxy: FaultProxy
) -> None:
    proxy = own_proxy
    _create(server, key="throttled", format="docker", kind="remote", upstream=proxy.url)
    image = _image("throttled")
    _push(upstream, "tools/throttled", "1.0", image)
    proxy.throttle(r"/v2/tools/throttled/manifests/1\.0", retry_after=2)
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
        first = http.get("/v2/throttled/tools/throttled/manifests/1.0", headers=ACCEPT)
        assert first.status_code == 429, first.text
        assert first.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
        assert 0 < float(first.headers["Retry-After"]) <= 2
        asked = proxy.requests(r"/v2/tools/throttled/manifests/1\.0")
        second = http.get("/v2/throttled/tools/throttled/manifests/1.0", headers=ACCEPT)
        assert second.status_code == 429
        assert proxy.requests(r"/v2/tools/throttled/manifests/1\.0") == asked  # not asked
        time.sleep(float(second.headers["Retry-After"]) + 0.2)
        third = http.get("/v2/throttled/tools/throttled/manifests/1.0", headers=ACCEPT)
        assert third.status_code == 200, third.text
        assert third.headers["Docker-Content-Digest"] == image.digest


def test_an_offline_repository_serves_only_what_is_cached(
    server: CargoholdServer, upstream: DockerRegistry, proxy: FaultProxy
) -> None:
    _create(server, key="frozen", format="docker", kind="remote", upstream=proxy.url)
    cached, uncached = _image("cached"), _image("uncached")
    _push(upstream, "tools/offline", "1.0", cached)
    _push(upstream, "tools/offline", "2.0", uncached)
    digest, _ = _pull(server, "frozen/tools/offline", "1.0")
    server.admin.call("PATCH", "/repositories/frozen", 200, {"offline": True})
    asked = proxy.requests(r"/v2/tools/offline/.*")
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=60) as http:
        served = http.get("/v2/frozen/tools/offline/manifests/1.0", headers=ACCEPT)
        assert served.headers["Docker-Content-Digest"] == digest
        refused = http.get("/v2/frozen/tools/offline/manifests/2.0", headers=ACCEPT)
        assert refused.status_code == 404
        assert "offline" in refused.json()["errors"][0]["message"]
    assert proxy.requests(r"/v2/tools/offline/.*") == asked


def test_a_push_to_a_remote_repository_is_refused(server: CargoholdServer, hub: str) -> None:
    opened = httpx.post(f"{server.url}/v2/hub/team/app/blobs/uploads/", auth=AUTH)
    assert opened.status_code == 403
    assert "remote repository" in opened.json()["errors"][0]["message"]


@pytest.fixture(scope="module")
def token_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    """A second cargohold: anonymous requests get docker's token challenge."""
    running = CargoholdServer(tmp_path_factory.mktemp("upstream") / "data", workers=1).start()
    yield running
    running.stop()


def test_an_upstream_with_docker_token_auth(
    server: CargoholdServer, token_upstream: CargoholdServer
) -> None:
    image = _image("vendor")
    token_upstream.push("dev/vendor/tool", "2.1", image)
    _create(
        server,
        key="vendor",
        format="docker",
        kind="remote",
        upstream=token_upstream.url,
        username=ADMIN_USER,
        password=ADMIN_PASSWORD,
    )
    shown = httpx.get(f"{server.url}/api/v1/repositories/vendor", auth=AUTH).json()
    assert "password" not in shown and ADMIN_PASSWORD not in str(shown)
    digest, blobs = _pull(server, "vendor/dev/vendor/tool", "2.1")
    assert digest == image.digest and len(blobs) == len(image.blobs)
    tokens = token_upstream.log().count("/v2/token")
    assert tokens >= 1
    _pull(server, "vendor/dev/vendor/tool", digest)
    assert token_upstream.log().count("/v2/token") == tokens  # nothing asked, token or not


def test_cached_content_is_scanned_watched_searched_and_promoted(
    server: CargoholdServer, upstream: DockerRegistry, proxy: FaultProxy, hub: str
) -> None:
    api = server.admin
    api.call("POST", "/vulndb/import", 200, ADVISORIES)
    api.call(
        "POST",
        "/policies",
        201,
        {
            "name": "no-high-cached",
            "rules": {"minSeverity": "HIGH"},
            "actions": {"blockDownload": True},
        },
    )
    api.call(
        "POST",
        "/watches",
        201,
        {"name": "hub-gate", "repositories": ["hub"], "policies": ["no-high-cached"]},
    )
    bad, good = vulnerable("remote-vulnerable"), clean("remote-clean")
    _push(upstream, "tools/vulnerable", "1", bad)
    _push(upstream, "tools/clean", "1", good)

    # The first pull fetches the image; its blobs follow in the background, then the scan.
    first, _ = _pull(server, "hub/tools/vulnerable", "1")
    deadline = time.monotonic() + 60
    while (scan := api.call("GET", "/scan?image=hub/tools/vulnerable:1", 200))["status"] == (
        "pending"
    ):
        assert time.monotonic() < deadline, scan
        time.sleep(0.3)
    assert scan["status"] == "done" and scan["digest"] == first
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=30) as http:
        blocked = http.get("/v2/hub/tools/vulnerable/manifests/1", headers=ACCEPT)
        assert blocked.status_code == 403
        assert 'blocked by policy "no-high-cached"' in blocked.json()["errors"][0]["message"]

    digest, _ = _pull(server, "hub/tools/clean", "1")
    found = api.call("GET", "/search?name=tools/clean&repository=hub", 200)
    assert [item["digest"] for item in found["items"]] == [digest]
    api.call(
        "POST",
        "/docker/hub/promote",
        200,
        {
            "targetRepo": "staging",
            "dockerRepository": "tools/clean",
            "tag": "1",
            "targetTag": "1",
        },
    )
    promoted = httpx.get(
        f"{server.url}/v2/staging/tools/clean/manifests/1", headers=ACCEPT, auth=AUTH
    )
    assert promoted.headers["Docker-Content-Digest"] == digest


def test_a_digest_another_repository_holds_is_not_read_through_a_remote_one(
    server: CargoholdServer, upstream: DockerRegistry, proxy: FaultProxy, hub: str
) -> None:
    private = _image("private")
    server.push("prod/secret/app", "1.0", private)
    layer = sha256(private.blobs[1])
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=30) as http:
        refused = http.get(f"/v2/hub/secret/app/blobs/{layer}")
        assert refused.status_code == 404, refused.text
        assert refused.json()["errors"][0]["code"] == "BLOB_UNKNOWN"
    # The upstream was asked whether it has the blob; it does not, so nothing is linked.
    assert proxy.requests(rf"/v2/secret/app/blobs/{layer}", "HEAD") == 1
    assert proxy.requests(rf"/v2/secret/app/blobs/{layer}", "GET") == 0


def test_a_crowd_during_an_outage_is_told_so_not_that_nothing_exists(
    server: CargoholdServer, own_proxy: FaultProxy
) -> None:
    _create(server, key="outage", format="docker", kind="remote", upstream=own_proxy.url)
    own_proxy.down()

    async def crowd() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, auth=AUTH, timeout=60) as http:
            return await asyncio.gather(
                *(http.get("/v2/outage/tools/x/manifests/1.0", headers=ACCEPT) for _ in range(20))
            )

    try:
        answers = asyncio.run(crowd())
    finally:
        own_proxy.up()
    assert {a.status_code for a in answers} <= {429, 503}, [a.text for a in answers]


def test_nothing_is_promoted_into_a_remote_or_a_virtual_repository(
    server: CargoholdServer, hub: str
) -> None:
    server.push("dev/team/promoted", "1.0", _image("promoted"))
    _create(server, key="dev-view", format="docker", kind="virtual", members=["dev"])
    for target in ("hub", "dev-view"):
        refused = httpx.post(
            f"{server.url}/api/v1/docker/dev/promote",
            json={"targetRepo": target, "dockerRepository": "team/promoted", "tag": "1.0"},
            auth=AUTH,
        )
        assert refused.status_code == 403, refused.text
        assert "promote into a local repository" in refused.json()["detail"]
