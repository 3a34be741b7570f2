"""npm repositories in-process: publishing checked before anything is stored, packuments
(full and abbreviated, ETag and 304) and tarballs, scoped names however npm spells them,
dist-tags, deprecation, unpublishing (allowed, refused by the repository, needing delete),
``npm login`` and ``whoami``, and errors in npm's shape."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest

from cargohold.app import open_stores
from cargohold.meta.repositories import packages_json
from cargohold.records.packages import PackageSettings
from cargohold.settings import Settings
from tests.integration.accounts import basic, bearer, create_user, grant
from tests.integration.conftest import AUTH
from tests.integration.generic import staged_uploads
from tests.npm_packages import integrity, publish_body, shasum, tarball

pytestmark = pytest.mark.anyio
REPO = "/npm/npm-local"
INSTALL = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"


async def create_npm(client: httpx.AsyncClient, key: str = "npm-local", **extra: Any) -> None:
    response = await client.post(
        "/api/v1/repositories", json={"key": key, "format": "npm", **extra}, headers=AUTH
    )
    assert response.status_code == 201, response.text


async def publish(
    client: httpx.AsyncClient,
    name: str,
    version: str,
    data: bytes | None = None,
    *,
    repo: str = REPO,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> httpx.Response:
    body = publish_body(name, version, data, **options)
    escaped = name.replace("/", "%2f")
    return await client.put(f"{repo}/{escaped}", json=body, headers=headers or AUTH)


def error(response: httpx.Response, status: int) -> str:
    """The message of an npm-shaped error answer, checked for shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "reason"}
    message: str = body["error"]
    assert message
    return message


@pytest.fixture
async def npm(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await create_npm(client)
    return client


def set_packages(settings: Settings, key: str, packages: PackageSettings) -> None:
    """As an operator will with the repository's package settings."""
    _, meta = open_stores(settings, migrate=False)
    try:
        meta.repositories.update(key, {"packages": packages_json(packages)})
    finally:
        meta.close()


async def test_a_published_version_is_served_as_npm_installs_it(npm: httpx.AsyncClient) -> None:
    data = tarball("left-pad", "1.3.0", {"index.js": b"module.exports = 1\n"})
    published = await publish(
        npm, "left-pad", "1.3.0", data, extra={"dependencies": {"a": "^1"}, "license": "MIT"}
    )
    assert published.status_code == 201, published.text

    full = await npm.get(f"{REPO}/left-pad", headers=AUTH)
    assert full.status_code == 200
    doc = full.json()
    assert doc["name"] == doc["_id"] == "left-pad"
    assert doc["dist-tags"] == {"latest": "1.3.0"}
    assert doc["_rev"].startswith("1-")
    assert doc["license"] == "MIT"
    assert set(doc["time"]) == {"created", "modified", "1.3.0"}
    version = doc["versions"]["1.3.0"]
    assert version["dependencies"] == {"a": "^1"}
    assert version["dist"] == {
        "integrity": integrity(data),
        "shasum": shasum(data),
        "tarball": "http://registry/npm/npm-local/left-pad/-/left-pad-1.3.0.tgz",
    }
    assert full.headers["vary"].startswith("Accept")

    short = await npm.get(f"{REPO}/left-pad", headers={**AUTH, "Accept": INSTALL})
    assert short.headers["content-type"] == "application/vnd.npm.install-v1+json"
    abbreviated = short.json()
    assert set(abbreviated) == {"name", "modified", "dist-tags", "versions"}
    assert set(abbreviated["versions"]["1.3.0"]) == {"name", "version", "dependencies", "dist"}

    again = await npm.get(
        f"{REPO}/left-pad", headers={**AUTH, "If-None-Match": full.headers["etag"]}
    )
    assert again.status_code == 304
    assert short.headers["etag"] != full.headers["etag"]

    got = await npm.get(version["dist"]["tarball"], headers=AUTH)
    assert got.status_code == 200
    assert got.content == data
    one = await npm.get(f"{REPO}/left-pad/latest", headers=AUTH)
    assert one.json()["version"] == "1.3.0"


async def test_scoped_names_are_read_escaped_or_not(npm: httpx.AsyncClient) -> None:
    data = tarball("@acme/widget", "2.0.0")
    assert (await publish(npm, "@acme/widget", "2.0.0", data)).status_code == 201
    for path in ("@acme%2fwidget", "@acme%2Fwidget", "@acme/widget"):
        response = await npm.get(f"{REPO}/{path}", headers=AUTH)
        assert response.status_code == 200, path
        assert response.json()["name"] == "@acme/widget"
    url = response.json()["versions"]["2.0.0"]["dist"]["tarball"]
    assert url == "http://registry/npm/npm-local/@acme/widget/-/widget-2.0.0.tgz"
    assert (await npm.get(url, headers=AUTH)).content == data


async def test_an_existing_version_is_a_conflict_unless_the_repository_allows_overwrite(
    npm: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await publish(npm, "app", "1.0.0")).status_code == 201
    refused = await publish(npm, "app", "1.0.0", tarball("app", "1.0.0", {"x": b"other"}))
    assert "cannot publish over the previously published versions: 1.0.0" in error(refused, 409)
    set_packages(settings, "npm-local", PackageSettings(overwrite=True))
    other = tarball("app", "1.0.0", {"x": b"other"})
    assert (await publish(npm, "app", "1.0.0", other)).status_code == 201
    doc = (await npm.get(f"{REPO}/app", headers=AUTH)).json()
    assert doc["versions"]["1.0.0"]["dist"]["integrity"] == integrity(other)
    assert (await npm.get(f"{REPO}/app/-/app-1.0.0.tgz", headers=AUTH)).content == other


async def test_bad_publishes_are_refused_and_store_nothing(
    npm: httpx.AsyncClient, settings: Settings
) -> None:
    good = tarball("pkg", "1.0.0")
    malformed = await npm.put(f"{REPO}/pkg", content=b"{not json", headers=AUTH)
    assert "not a JSON document" in error(malformed, 400)

    body = publish_body("pkg", "1.0.0", good)
    body["versions"]["1.0.0"]["dist"]["integrity"] = integrity(b"something else")
    wrong = await npm.put(f"{REPO}/pkg", json=body, headers=AUTH)
    assert "does not match its dist.integrity" in error(wrong, 400)

    body = publish_body("pkg", "1.0.0", good)
    body["versions"]["1.0.0"]["dist"]["shasum"] = shasum(b"else")
    assert "dist.shasum" in error(await npm.put(f"{REPO}/pkg", json=body, headers=AUTH), 400)

    disagrees = await publish(npm, "pkg", "1.0.0", tarball("other-pkg", "1.0.0"))
    assert "package.json names 'other-pkg'" in error(disagrees, 400)

    older = await publish(npm, "pkg", "1.0.0", tarball("pkg", "0.9.0"))
    assert "'0.9.0', not pkg 1.0.0" in error(older, 400)

    not_gzip = await publish(npm, "pkg", "1.0.0", b"plain bytes, not a tarball")
    assert "cannot be read" in error(not_gzip, 400)

    two = publish_body("pkg", "1.0.0", good)
    two["versions"]["1.0.1"] = dict(two["versions"]["1.0.0"], version="1.0.1")
    assert "exactly one new version" in error(
        await npm.put(f"{REPO}/pkg", json=two, headers=AUTH), 400
    )

    bad_version = await publish(npm, "pkg", "1.0", tarball("pkg", "1.0"))
    assert "not a valid semantic version" in error(bad_version, 400)
    long = "1.0.0-" + "a" * 150  # valid semver, longer than a repository keeps
    too_long = await publish(npm, "pkg", long, tarball("pkg", long))
    assert "not a valid semantic version" in error(too_long, 400)

    for path in ("..%2f..%2fetc", "%2e%2e", "Upper", "@scope%2f..", "pkg/..", "_hidden"):
        response = await npm.put(
            f"{REPO}/{path}", json=publish_body("pkg", "1.0.0", good), headers=AUTH
        )
        assert response.status_code in (400, 404), (path, response.text)
        assert response.json()["error"]

    mismatch = await npm.put(f"{REPO}/other", json=publish_body("pkg", "1.0.0", good), headers=AUTH)
    assert "the URL 'other'" in error(mismatch, 400)

    assert error(await npm.get(f"{REPO}/pkg", headers=AUTH), 404)
    assert error(await npm.get(f"{REPO}/pkg/-/pkg-1.0.0.tgz", headers=AUTH), 404)
    assert staged_uploads(settings.blob_root) == []


async def test_a_publish_needs_write_and_npm_is_asked_for_credentials(
    npm: httpx.AsyncClient,
) -> None:
    anonymous = await publish(npm, "pkg", "1.0.0", headers={"Content-Type": "application/json"})
    error(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    await create_user(npm, "reader", "reader-password")
    await grant(npm, "user:reader", ["npm-local"], ["read"])
    refused = await publish(npm, "pkg", "1.0.0", headers=basic("reader", "reader-password"))
    assert "may not write" in error(refused, 403)
    unknown = await npm.get("/npm/nowhere/pkg", headers=AUTH)
    assert error(unknown, 404)


async def test_dist_tags_are_listed_added_and_removed(npm: httpx.AsyncClient) -> None:
    for version in ("1.0.0", "2.0.0-beta.1"):
        tag = "latest" if version == "1.0.0" else "next"
        assert (await publish(npm, "@acme/tool", version, tag=tag)).status_code == 201
    tags = f"{REPO}/-/package/@acme%2ftool/dist-tags"
    assert (await npm.get(tags, headers=AUTH)).json() == {"latest": "1.0.0", "next": "2.0.0-beta.1"}
    added = await npm.put(f"{tags}/stable", content=b'"1.0.0"', headers=AUTH)
    assert added.status_code == 201, added.text
    assert (await npm.get(tags, headers=AUTH)).json()["stable"] == "1.0.0"
    missing = await npm.put(f"{tags}/stable", content=b'"9.9.9"', headers=AUTH)
    assert "no version 9.9.9" in error(missing, 404)
    assert (await npm.delete(f"{tags}/next", headers=AUTH)).status_code == 200
    assert (await npm.get(tags, headers=AUTH)).json() == {"latest": "1.0.0", "stable": "1.0.0"}
    assert "latest" in error(await npm.delete(f"{tags}/latest", headers=AUTH), 400)
    assert error(await npm.put(f"{tags}/1.2.3", content=b'"1.0.0"', headers=AUTH), 400)


async def test_deprecation_is_set_and_cleared_through_the_packument(
    npm: httpx.AsyncClient,
) -> None:
    for version in ("1.0.0", "1.1.0"):
        assert (await publish(npm, "old", version)).status_code == 201
    doc = (await npm.get(f"{REPO}/old", headers=AUTH)).json()
    doc["versions"]["1.0.0"]["deprecated"] = "use 1.1.0, 1.0.0 leaks memory"
    put = await npm.put(f"{REPO}/old", json=doc, headers=AUTH)
    assert put.status_code == 200, put.text
    short = (await npm.get(f"{REPO}/old", headers={**AUTH, "Accept": INSTALL})).json()
    assert short["versions"]["1.0.0"]["deprecated"] == "use 1.1.0, 1.0.0 leaks memory"
    assert "deprecated" not in short["versions"]["1.1.0"]

    doc = (await npm.get(f"{REPO}/old", headers=AUTH)).json()
    doc["versions"]["1.0.0"]["deprecated"] = ""
    assert (await npm.put(f"{REPO}/old", json=doc, headers=AUTH)).status_code == 200
    full = (await npm.get(f"{REPO}/old", headers=AUTH)).json()
    assert "deprecated" not in full["versions"]["1.0.0"]

    doc["versions"]["3.0.0"] = dict(doc["versions"]["1.1.0"], version="3.0.0")
    assert "not published" in error(await npm.put(f"{REPO}/old", json=doc, headers=AUTH), 400)


async def unpublish_version(
    client: httpx.AsyncClient, name: str, version: str, headers: dict[str, str]
) -> list[int]:
    """What ``npm unpublish NAME@VERSION`` sends: the packument PUT back without the
    version, then the tarball's DELETE; the statuses."""
    doc = (await client.get(f"{REPO}/{name}?write=true", headers=headers)).json()
    dist = doc["versions"].pop(version)["dist"]
    doc["dist-tags"] = {t: v for t, v in doc["dist-tags"].items() if v != version}
    doc["dist-tags"].setdefault("latest", sorted(doc["versions"])[-1])
    put = await client.put(f"{REPO}/{name}/-rev/{doc['_rev']}", json=doc, headers=headers)
    rev = (await client.get(f"{REPO}/{name}?write=true", headers=headers)).json().get("_rev", "x")
    path = dist["tarball"].removeprefix("http://registry")
    deleted = await client.delete(f"{path}/-rev/{rev}", headers=headers)
    return [put.status_code, deleted.status_code]


async def test_unpublishing_a_version_and_a_whole_package(npm: httpx.AsyncClient) -> None:
    for version in ("1.0.0", "1.1.0"):
        assert (await publish(npm, "gone", version)).status_code == 201
    # A document with a bad dist-tag is refused before anything is unpublished.
    bad = {"versions": {}, "dist-tags": {"not a tag": "1.0.0"}}
    assert error(await npm.put(f"{REPO}/gone/-rev/2-x", json=bad, headers=AUTH), 400)
    assert len((await npm.get(f"{REPO}/gone", headers=AUTH)).json()["versions"]) == 2
    assert await unpublish_version(npm, "gone", "1.1.0", AUTH) == [200, 200]
    doc = (await npm.get(f"{REPO}/gone", headers=AUTH)).json()
    assert list(doc["versions"]) == ["1.0.0"]
    assert doc["dist-tags"] == {"latest": "1.0.0"}
    assert error(await npm.get(f"{REPO}/gone/-/gone-1.1.0.tgz", headers=AUTH), 404)

    deleted = await npm.delete(f"{REPO}/gone/-rev/{doc['_rev']}", headers=AUTH)
    assert deleted.status_code == 200, deleted.text
    assert error(await npm.get(f"{REPO}/gone", headers=AUTH), 404)
    # The name is free again.
    assert (await publish(npm, "gone", "1.1.0")).status_code == 201


async def test_unpublishing_needs_delete_and_a_repository_that_allows_it(
    npm: httpx.AsyncClient, settings: Settings
) -> None:
    for version in ("1.0.0", "1.1.0"):
        assert (await publish(npm, "kept", version)).status_code == 201
    await create_user(npm, "dev", "dev-password")
    await grant(npm, "user:dev", ["npm-local"], ["read", "write"])
    dev = basic("dev", "dev-password")
    statuses = await unpublish_version(npm, "kept", "1.1.0", dev)
    assert statuses == [403, 403]
    refused = await npm.delete(f"{REPO}/kept/-rev/1-x", headers=dev)
    assert "delete" in error(refused, 403)

    set_packages(settings, "npm-local", PackageSettings(unpublish=False))
    refused = await npm.delete(f"{REPO}/kept/-rev/1-x", headers=AUTH)
    assert "does not allow unpublishing" in error(refused, 403)
    assert await unpublish_version(npm, "kept", "1.1.0", AUTH) == [403, 403]
    doc = (await npm.get(f"{REPO}/kept", headers=AUTH)).json()
    assert sorted(doc["versions"]) == ["1.0.0", "1.1.0"]


async def test_npm_login_gives_a_token_that_whoami_and_publish_accept(
    npm: httpx.AsyncClient,
) -> None:
    await create_user(npm, "alice", "alice-password")
    await grant(npm, "user:alice", ["npm-local"], ["read", "write"])
    user = f"{REPO}/-/user/org.couchdb.user:alice"
    body = {"_id": "org.couchdb.user:alice", "name": "alice", "password": "alice-password"}
    login = await npm.put(user, json=body)
    assert login.status_code == 201, login.text
    token = login.json()["token"]
    assert login.json()["ok"] is True
    whoami = await npm.get(f"{REPO}/-/whoami", headers=bearer(token))
    assert whoami.json() == {"username": "alice"}
    assert (await publish(npm, "mine", "1.0.0", headers=bearer(token))).status_code == 201

    wrong = await npm.put(user, json={**body, "password": "guess"})
    error(wrong, 401)
    assert error(await npm.get(f"{REPO}/-/whoami"), 401)
    web = await npm.post(f"{REPO}/-/v1/login", json={})
    assert web.status_code == 404  # npm falls back to the login above


async def test_the_publish_body_is_limited_before_it_is_read(npm: httpx.AsyncClient) -> None:
    response = await npm.put(
        f"{REPO}/big",
        content=b"{}",
        headers={**AUTH, "Content-Length": str(600 * 1024 * 1024)},
    )
    assert "limit" in error(response, 413)


def test_the_test_tarballs_are_what_npm_reads() -> None:
    data = tarball("x", "1.0.0")
    assert hashlib.sha512(data).digest() == base64.b64decode(integrity(data)[7:])
    assert json.loads(json.dumps(publish_body("x", "1.0.0", data)))["name"] == "x"
