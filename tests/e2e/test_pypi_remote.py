"""Remote PyPI repositories against real upstreams on loopback: another cargohold's PyPI
repository, and a static PEP 503 index served by ``python -m http.server``. A project's
page comes from the upstream with this repository's own file URLs; a file is fetched on its
first download, verified against the upstream's sha256 and kept; pages are revalidated
after the repository's period, served stale when the upstream is down, and only from the
cache when the repository is offline."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fault_proxy import FaultProxy
from tests.pypi_dists import wheel
from tests.pypi_index import ADMIN, StaticIndex, file_url, page, project, uploaded
from tests.servers import CargoholdServer, free_port


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path_factory.mktemp("upstream") / "data", workers=1).start()
    running.admin.call("POST", "/repositories", 201, {"key": "up", "format": "pypi"})
    running.admin.allow_anonymous_read("up")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path_factory.mktemp("cargohold") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticIndex]:
    index = StaticIndex(Path(tmp_path_factory.mktemp("static"))).start()
    yield index
    index.stop()


def remote(server: CargoholdServer, key: str, upstream: str, **extra: Any) -> None:
    body = {"key": key, "format": "pypi", "kind": "remote", "upstream": upstream, **extra}
    server.admin.call("POST", "/repositories", 201, body)


def download(url: str) -> httpx.Response:
    return httpx.get(url, auth=ADMIN, timeout=60)


def test_a_project_is_read_through_another_cargohold_and_its_files_are_kept(
    upstream: CargoholdServer, server: CargoholdServer
) -> None:
    dist = wheel("through", "1.0", requires_python=">=3.9")
    uploaded(upstream.url, "up", dist)
    remote(server, "cache", f"{upstream.url}/pypi/up/simple", revalidateSeconds=3600)

    doc = page(server.url, "cache", "through")
    assert doc["versions"] == ["1.0"]
    (entry,) = doc["files"]
    assert entry["filename"] == dist.filename
    assert entry["hashes"] == {"sha256": dist.sha256}
    assert entry["requires-python"] == ">=3.9"
    assert entry["core-metadata"] is False  # not known here until the file is
    url = file_url(server.url, "cache", "through", entry)
    assert url == f"{server.url}/pypi/cache/files/through/1.0/{dist.filename}"

    got = download(url)
    assert got.status_code == 200, got.text
    assert got.content == dist.data
    again = page(server.url, "cache", "through")
    meta_sha = hashlib.sha256(dist.metadata).hexdigest()
    assert again["files"][0]["core-metadata"] == {"sha256": meta_sha}
    assert download(url + ".metadata").content == dist.metadata

    # Through a virtual repository whose first member's upstream does not answer.
    remote(server, "dead", f"http://127.0.0.1:{free_port()}/simple", timeoutSeconds=2)
    members = {"kind": "virtual", "members": ["dead", "cache"]}
    server.admin.call("POST", "/repositories", 201, {"key": "both", "format": "pypi"} | members)
    (listed,) = page(server.url, "both", "through")["files"]
    assert download(file_url(server.url, "both", "through", listed)).content == dist.data
    nowhere = project(server.url, "both", "nowhere")
    assert nowhere.status_code in (429, 503)  # the dead upstream's failure, not a 404

    # Kept: served with the upstream gone from the repository's settings' point of view.
    server.admin.call("PATCH", "/repositories/cache", 200, {"offline": True})
    assert download(url).content == dist.data
    assert project(server.url, "cache", "through").status_code == 200
    missing = project(server.url, "cache", "never-asked")
    assert missing.status_code == 404
    assert "offline" in missing.text


def test_pages_are_revalidated_after_the_period_and_not_before(
    upstream: CargoholdServer, server: CargoholdServer
) -> None:
    uploaded(upstream.url, "up", wheel("moving", "1.0"))
    remote(server, "eager", f"{upstream.url}/pypi/up/simple", revalidateSeconds=0)
    remote(server, "lazy", f"{upstream.url}/pypi/up/simple", revalidateSeconds=3600)
    assert page(server.url, "eager", "moving")["versions"] == ["1.0"]
    assert page(server.url, "lazy", "moving")["versions"] == ["1.0"]
    uploaded(upstream.url, "up", wheel("moving", "2.0"))
    assert page(server.url, "eager", "moving")["versions"] == ["1.0", "2.0"]
    assert page(server.url, "lazy", "moving")["versions"] == ["1.0"]
    unknown = project(server.url, "eager", "not-upstream-either")
    assert unknown.status_code == 404


def test_a_digest_another_repository_holds_is_linked_only_once_the_upstream_serves_it(
    static: StaticIndex, server: CargoholdServer
) -> None:
    server.admin.call("POST", "/repositories", 201, {"key": "private", "format": "pypi"})
    secret = wheel("secret-lib", "1.0")
    uploaded(server.url, "private", secret)
    decoy = wheel("decoy", "1.0")  # listed with the secret's digest, serving its own bytes
    static.add("decoy", [decoy], sha256=secret.sha256)
    shared = wheel("shared-lib", "1.0")  # held by "private" too, and served by the upstream
    uploaded(server.url, "private", shared)
    static.add("shared-lib", [shared])
    remote(server, "probe", f"{static.url}/simple", anonymousRead=True)

    (listed,) = page(server.url, "probe", "decoy")["files"]
    leaked = httpx.get(file_url(server.url, "probe", "decoy", listed), timeout=60)
    assert leaked.status_code == 503
    assert "does not match its listed digest" in leaked.text
    assert secret.data not in leaked.content
    (kept,) = page(server.url, "probe", "shared-lib")["files"]
    got = httpx.get(file_url(server.url, "probe", "shared-lib", kept), timeout=60)
    assert got.content == shared.data


def test_a_kept_file_is_listed_with_its_own_hash_when_the_upstream_replaces_it(
    static: StaticIndex, server: CargoholdServer
) -> None:
    first = wheel("replaced-pkg", "1.0")
    static.add("replaced-pkg", [first])
    remote(server, "static-replaced", f"{static.url}/simple", revalidateSeconds=0)
    (entry,) = page(server.url, "static-replaced", "replaced-pkg")["files"]
    kept = download(file_url(server.url, "static-replaced", "replaced-pkg", entry))
    assert kept.content == first.data

    other = wheel("replaced-pkg", "1.0", requires_python=">=3.12")  # same name, other bytes
    assert other.filename == first.filename
    assert other.sha256 != first.sha256
    static.add("replaced-pkg", [other])
    (listed,) = page(server.url, "static-replaced", "replaced-pkg")["files"]
    # What the page lists is what is served: pip checks one against the other.
    assert listed["hashes"] == {"sha256": first.sha256}
    served = download(file_url(server.url, "static-replaced", "replaced-pkg", listed))
    assert served.content == first.data


def test_a_static_index_is_an_upstream_and_a_lying_hash_stores_nothing(
    static: StaticIndex, server: CargoholdServer
) -> None:
    good = wheel("static-pkg", "1.0")
    static.add("static-pkg", [good])
    bad = wheel("lying-pkg", "1.0")
    static.add("lying-pkg", [bad], sha256="ab" * 32)
    remote(server, "static", f"{static.url}/simple", revalidateSeconds=0)

    doc = page(server.url, "static", "static-pkg")
    (entry,) = doc["files"]
    assert entry["hashes"] == {"sha256": good.sha256}
    got = download(file_url(server.url, "static", "static-pkg", entry))
    assert got.content == good.data

    lying = page(server.url, "static", "lying-pkg")["files"][0]
    # Streamed as it arrives, all but its last byte, which waits for the verification that
    # fails: the client sees a download cut short.
    with pytest.raises(httpx.RemoteProtocolError, match=f"expected {len(bad.data)}"):
        download(file_url(server.url, "static", "lying-pkg", lying))
    again = page(server.url, "static", "lying-pkg")["files"][0]
    assert again["core-metadata"] is False  # nothing was kept

    # The upstream goes away: its pages are served stale, its kept files still.
    static.stop()
    try:
        stale = page(server.url, "static", "static-pkg")
        assert stale["files"][0]["filename"] == good.filename
        assert download(file_url(server.url, "static", "static-pkg", entry)).content == good.data
        down = project(server.url, "static", "never-seen")
        assert down.status_code in (429, 503)  # down, then its gate closed for a while
        assert f"upstream {static.url}/simple of remote repository 'static'" in down.text
    finally:
        static.start()


def test_an_upstream_needing_credentials_is_asked_with_the_repositorys(
    upstream: CargoholdServer, server: CargoholdServer
) -> None:
    upstream.admin.call("POST", "/repositories", 201, {"key": "private", "format": "pypi"})
    upstream.admin.create_user("mirror", "mirror-secret")
    upstream.admin.grant("user:mirror", ["private"], ["read"])
    dist = wheel("secret-pkg", "1.0")
    uploaded(upstream.url, "private", dist)
    base = f"{upstream.url}/pypi/private/simple"
    remote(server, "no-creds", base)
    refused = project(server.url, "no-creds", "secret-pkg")
    assert refused.status_code == 503
    assert "cargohold repo update no-creds" in refused.text
    remote(server, "with-creds", base, username="mirror", password="mirror-secret")
    (entry,) = page(server.url, "with-creds", "secret-pkg")["files"]
    assert download(file_url(server.url, "with-creds", "secret-pkg", entry)).content == dist.data


@pytest.mark.parametrize("sized", [True, False], ids=["sized", "unsized"])
def test_a_crowd_downloading_a_file_first_makes_one_request_upstream(
    upstream: CargoholdServer, server: CargoholdServer, sized: bool
) -> None:
    """Twelve clients download a file nobody fetched yet while it streams in, from an
    upstream that says its size (every client is told it) or does not (chunked)."""
    proxy = FaultProxy(upstream.url).start()
    try:
        name = f"crowded-{'sized' if sized else 'unsized'}"
        dist = wheel(name, "1.0", payload=os.urandom(4 * 1024 * 1024))
        uploaded(upstream.url, "up", dist)
        remote(server, name, f"{proxy.url}/pypi/up/simple")
        (entry,) = page(server.url, name, name)["files"]
        url = file_url(server.url, name, name, entry)
        if not sized:
            proxy.unsized(r"/pypi/up/files/.*", times=None)
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda _: download(url), range(12)))
        assert all(answer.content == dist.data for answer in answers)
        if sized:  # pip shows how much is left
            assert {a.headers.get("content-length") for a in answers} == {str(len(dist.data))}
        fetched = f"/pypi/up/files/{name}/1.0/{dist.filename}"
        assert proxy.requests(fetched, "GET") == 1
        assert upstream.log().count(f'"GET {fetched}" 200') == 1
    finally:
        proxy.stop()
