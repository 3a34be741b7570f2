"""Remote npm repositories in-process, with a scripted upstream registry on loopback: the
packument asked of the upstream and served with this repository's tarball URLs, asked again
only after the revalidation period, served stale while the upstream is down; a tarball
fetched once, checked against its integrity and kept; and, through a virtual repository, the
dependency-confusion guard."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from cargohold.registry.registry import Registry
from tests.integration.conftest import AUTH, Clock
from tests.integration.test_npm import create_npm, error, publish
from tests.npm_packages import integrity, shasum, tarball
from tests.scripted_http import Answer, Asked, Scripted

pytestmark = pytest.mark.anyio
REMOTE = "/npm/npm-remote"


class UpstreamRegistry:
    """What the scripted upstream serves: packuments and tarballs by path."""

    def __init__(self, server: Scripted) -> None:
        self.server = server
        self.files: dict[str, Answer] = {}
        server.answer = self.answer

    def answer(self, asked: Asked) -> Answer:
        return self.files.get(asked.path, Answer(404, body=b'{"error":"Not found"}'))

    def add(
        self, name: str, versions: dict[str, bytes], tags: dict[str, str], **manifest: Any
    ) -> None:
        base = self.server.url
        basename = name.rpartition("/")[2]
        doc: dict[str, Any] = {"name": name, "dist-tags": tags, "versions": {}, "time": {}}
        for version, data in versions.items():
            path = f"/{name}/-/{basename}-{version}.tgz"
            doc["versions"][version] = {
                "name": name,
                "version": version,
                **manifest,
                "dist": {
                    "integrity": integrity(data),
                    "shasum": shasum(data),
                    "tarball": base + path,
                },
            }
            doc["time"][version] = "2024-01-02T03:04:05.000Z"
            self.files[path] = Answer(200, {"Content-Type": "application/octet-stream"}, data)
        self.files["/" + name.replace("/", "%2f")] = Answer(
            200, {"Content-Type": "application/json"}, json.dumps(doc).encode()
        )

    def asked(self, path: str) -> int:
        return sum(1 for a in self.server.asked if a.path == path)


@pytest.fixture
def upstream() -> Iterator[UpstreamRegistry]:
    server = Scripted()
    yield UpstreamRegistry(server)
    server.stop()


@pytest.fixture
async def remote(
    client: httpx.AsyncClient, upstream: UpstreamRegistry, registry: Registry
) -> AsyncIterator[httpx.AsyncClient]:
    await create_npm(
        client, "npm-remote", kind="remote", upstream=upstream.server.url, revalidateSeconds=600
    )
    yield client
    await registry.aclose()  # the connections to the upstream


async def test_a_remote_packument_and_tarball_come_from_the_upstream_once(
    remote: httpx.AsyncClient, upstream: UpstreamRegistry, clock: Clock
) -> None:
    data = tarball("left-pad", "1.3.0", {"index.js": b"x"})
    upstream.add("left-pad", {"1.3.0": data}, {"latest": "1.3.0"}, license="WTFPL")

    doc = (await remote.get(f"{REMOTE}/left-pad", headers=AUTH)).json()
    assert doc["dist-tags"] == {"latest": "1.3.0"}
    version = doc["versions"]["1.3.0"]
    assert version["license"] == "WTFPL"
    assert (
        version["dist"]["tarball"] == "http://registry/npm/npm-remote/left-pad/-/left-pad-1.3.0.tgz"
    )
    assert version["dist"]["integrity"] == integrity(data)
    assert doc["time"]["1.3.0"] == "2024-01-02T03:04:05.000Z"

    for _ in range(3):
        got = await remote.get(version["dist"]["tarball"], headers=AUTH)
        assert got.status_code == 200, got.text
        assert got.content == data
    assert upstream.asked("/left-pad/-/left-pad-1.3.0.tgz") == 1
    await remote.get(f"{REMOTE}/left-pad", headers=AUTH)
    assert upstream.asked("/left-pad") == 1

    # A new version upstream is seen once the revalidation period is over.
    upstream.add(
        "left-pad", {"1.3.0": data, "1.4.0": tarball("left-pad", "1.4.0")}, {"latest": "1.4.0"}
    )
    assert list((await remote.get(f"{REMOTE}/left-pad", headers=AUTH)).json()["versions"]) == [
        "1.3.0"
    ]
    clock.advance(601)
    doc = (await remote.get(f"{REMOTE}/left-pad", headers=AUTH)).json()
    assert sorted(doc["versions"]) == ["1.3.0", "1.4.0"]
    assert doc["dist-tags"] == {"latest": "1.4.0"}
    assert upstream.asked("/left-pad") == 2

    # The upstream goes down: what is cached is served stale, the tarball from the store.
    upstream.files.clear()
    upstream.server.answer = lambda asked: Answer(503, body=b"down")
    clock.advance(601)
    stale = await remote.get(f"{REMOTE}/left-pad", headers=AUTH)
    assert stale.status_code == 200
    assert (
        await remote.get(f"{REMOTE}/left-pad/-/left-pad-1.3.0.tgz", headers=AUTH)
    ).content == data
    missing = await remote.get(f"{REMOTE}/left-pad/-/left-pad-1.4.0.tgz", headers=AUTH)
    # The revalidation's 503 closed the upstream's gate: the tarball is not asked for now.
    assert "upstream" in error(missing, 429)
    assert upstream.asked("/left-pad/-/left-pad-1.4.0.tgz") == 0


async def test_a_scoped_package_is_asked_escaped_and_unknown_ones_are_404(
    remote: httpx.AsyncClient, upstream: UpstreamRegistry
) -> None:
    data = tarball("@types/thing", "2.0.0")
    upstream.add("@types/thing", {"2.0.0": data}, {"latest": "2.0.0"})
    doc = (await remote.get(f"{REMOTE}/@types%2fthing", headers=AUTH)).json()
    url = doc["versions"]["2.0.0"]["dist"]["tarball"]
    assert url == "http://registry/npm/npm-remote/@types/thing/-/thing-2.0.0.tgz"
    assert (await remote.get(url, headers=AUTH)).content == data
    assert upstream.asked("/@types%2fthing") == 1
    assert error(await remote.get(f"{REMOTE}/not-there", headers=AUTH), 404)
    refused = await publish(remote, "mine", "1.0.0", repo=REMOTE)
    assert "takes no publishes" in error(refused, 403)


async def test_a_tarball_that_is_not_what_the_packument_says_is_not_stored(
    remote: httpx.AsyncClient, upstream: UpstreamRegistry
) -> None:
    upstream.add("tampered", {"1.0.0": tarball("tampered", "1.0.0")}, {"latest": "1.0.0"})
    upstream.files["/tampered/-/tampered-1.0.0.tgz"] = Answer(200, {}, tarball("tampered", "6.6.6"))
    got = await remote.get(f"{REMOTE}/tampered/-/tampered-1.0.0.tgz", headers=AUTH)
    assert error(got, 503)
    assert error(await remote.get(f"{REMOTE}/tampered/-/tampered-1.0.0.tgz", headers=AUTH), 503)
    assert upstream.asked("/tampered/-/tampered-1.0.0.tgz") == 2  # nothing kept


async def test_a_virtual_repository_reads_a_name_a_local_member_holds_from_local_members_only(
    remote: httpx.AsyncClient, upstream: UpstreamRegistry
) -> None:
    await create_npm(remote, "npm-local")
    await create_npm(
        remote,
        "npm-all",
        kind="virtual",
        members=["npm-local", "npm-remote"],
        defaultDeployRepo="npm-local",
    )
    assert (await publish(remote, "internal-auth", "1.0.0")).status_code == 201
    upstream.add("internal-auth", {"9.9.9": tarball("internal-auth", "9.9.9")}, {"latest": "9.9.9"})
    upstream.add("is-odd", {"3.0.1": tarball("is-odd", "3.0.1")}, {"latest": "3.0.1"})

    guarded = (await remote.get("/npm/npm-all/internal-auth", headers=AUTH)).json()
    assert list(guarded["versions"]) == ["1.0.0"]
    assert guarded["dist-tags"] == {"latest": "1.0.0"}
    assert upstream.asked("/internal-auth") == 0
    assert error(
        await remote.get("/npm/npm-all/internal-auth/-/internal-auth-9.9.9.tgz", headers=AUTH), 404
    )

    public = (await remote.get("/npm/npm-all/is-odd", headers=AUTH)).json()
    url = public["versions"]["3.0.1"]["dist"]["tarball"]
    assert url == "http://registry/npm/npm-all/is-odd/-/is-odd-3.0.1.tgz"
    assert (await remote.get(url, headers=AUTH)).status_code == 200


async def test_the_upstream_is_asked_with_the_repositorys_credentials(
    client: httpx.AsyncClient, upstream: UpstreamRegistry, registry: Registry
) -> None:
    data = tarball("private-lib", "1.0.0")
    upstream.add("private-lib", {"1.0.0": data}, {"latest": "1.0.0"})
    expected = "Basic " + base64.b64encode(b"mirror:mirror-secret").decode()

    def answer(asked: Asked) -> Answer:
        if asked.headers.get("authorization") != expected:
            return Answer(401, {"WWW-Authenticate": 'Basic realm="upstream"'}, b"{}")
        return upstream.answer(asked)

    upstream.server.answer = answer
    await create_npm(
        client,
        "npm-private",
        kind="remote",
        upstream=upstream.server.url,
        username="mirror",
        password="mirror-secret",
    )
    try:
        doc = (await client.get("/npm/npm-private/private-lib", headers=AUTH)).json()
        url = doc["versions"]["1.0.0"]["dist"]["tarball"]
        assert (await client.get(url, headers=AUTH)).content == data
    finally:
        await registry.aclose()


async def test_a_crowd_asking_for_a_tarball_at_once_makes_one_upstream_request(
    remote: httpx.AsyncClient, upstream: UpstreamRegistry
) -> None:
    data = tarball("popular", "1.0.0", {"big.bin": bytes(range(256)) * 4096})
    upstream.add("popular", {"1.0.0": data}, {"latest": "1.0.0"})
    upstream.files["/popular/-/popular-1.0.0.tgz"] = Answer(200, {}, data, delay=0.3)
    path = f"{REMOTE}/popular/-/popular-1.0.0.tgz"
    answers = await asyncio.gather(*(remote.get(path, headers=AUTH) for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert all(a.content == data for a in answers)
    assert upstream.asked("/popular/-/popular-1.0.0.tgz") == 1
    assert upstream.asked("/popular") == 1
