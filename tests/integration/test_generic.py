"""Generic repositories: any file at any path, checksums verified on the way in and given on
the way out, deploy by checksum, content stored once, folder listings, byte ranges, and
paths that could escape refused."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cargohold.app import build_app
from cargohold.meta.schema import uploads
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH, Clock
from tests.integration.generic import (
    blob_files,
    create_generic,
    deploy,
    message,
    staged_uploads,
    sums,
)

pytestmark = pytest.mark.anyio
DATA = b"release 1.4 of the web app\n" * 100


@pytest.fixture
async def files(client: httpx.AsyncClient) -> str:
    await create_generic(client, "files")
    return "files"


async def test_a_generic_repository_is_created_like_any_other(client: httpx.AsyncClient) -> None:
    await create_generic(client, "files")
    shown = (await client.get("/api/v1/repositories/files", headers=AUTH)).json()
    assert shown["format"] == "generic"
    refused = await client.post(
        "/api/v1/repositories", json={"key": "x", "format": "cobol"}, headers=AUTH
    )
    assert refused.status_code == 400
    assert "docker, generic" in refused.json()["detail"]


async def test_deploy_then_download_with_checksums(client: httpx.AsyncClient, files: str) -> None:
    expected = sums(DATA)
    deployed = await deploy(client, files, "web/1.4/app.tgz", DATA)
    assert deployed["repo"] == "files"
    assert deployed["path"] == "/web/1.4/app.tgz"
    assert deployed["checksums"] == expected
    assert deployed["size"] == str(len(DATA))
    assert deployed["createdBy"] == "admin"
    assert deployed["downloadUri"] == "http://registry/generic/files/web/1.4/app.tgz"

    got = await client.get("/generic/files/web/1.4/app.tgz", headers=AUTH)
    assert got.status_code == 200
    assert got.content == DATA
    assert got.headers["X-Checksum-Sha256"] == expected["sha256"]
    assert got.headers["X-Checksum-Sha1"] == expected["sha1"]
    assert got.headers["X-Checksum-Md5"] == expected["md5"]
    assert got.headers["Content-Length"] == str(len(DATA))
    assert got.headers["Accept-Ranges"] == "bytes"
    assert got.headers["ETag"] == f'"{expected["sha256"]}"'
    assert got.headers["Last-Modified"].endswith(" GMT")
    assert got.headers["Content-Type"] == "application/octet-stream"

    head = await client.head("/generic/files/web/1.4/app.tgz", headers=AUTH)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(DATA))
    assert head.headers["X-Checksum-Sha256"] == expected["sha256"]

    again = await client.get(
        "/generic/files/web/1.4/app.tgz", headers={**AUTH, "If-None-Match": got.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


async def test_overwrite_replaces_the_content(
    client: httpx.AsyncClient, files: str, clock: Clock
) -> None:
    first = await deploy(client, files, "notes.txt", b"one")
    clock.advance(60)
    second = await deploy(client, files, "notes.txt", b"two")
    assert second["created"] > first["created"]
    got = await client.get("/generic/files/notes.txt", headers=AUTH)
    assert got.content == b"two"
    assert got.headers["X-Checksum-Sha256"] == sums(b"two")["sha256"]


@pytest.mark.parametrize(
    "header",
    [
        "X-Checksum-Sha256",
        "X-Checksum-Sha1",
        "X-Checksum-Md5",
        "X-Checksum",
    ],
)
async def test_a_wrong_checksum_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient, files: str, settings: Settings, header: str
) -> None:
    wrong = {
        "X-Checksum-Sha256": sums(b"other")["sha256"],
        "X-Checksum-Sha1": sums(b"other")["sha1"],
        "X-Checksum-Md5": sums(b"other")["md5"],
        "X-Checksum": sums(b"other")["sha1"],
    }[header]
    response = await client.put(
        "/generic/files/app.tgz", content=DATA, headers={**AUTH, header: wrong}
    )
    assert response.status_code == 409, response.text
    assert "checksum mismatch" in message(response)
    assert "nothing was stored" in message(response)
    assert (await client.get("/generic/files/app.tgz", headers=AUTH)).status_code == 404
    assert blob_files(settings.blob_root) == []
    assert staged_uploads(settings.blob_root) == []
    engine = sa.create_engine(settings.database)
    with engine.connect() as connection:
        assert connection.execute(sa.select(uploads)).all() == []
    engine.dispose()


async def test_right_checksums_are_accepted_in_any_case(
    client: httpx.AsyncClient, files: str
) -> None:
    expected = sums(DATA)
    headers = {
        "X-Checksum-Sha256": expected["sha256"].upper(),
        "X-Checksum-Sha1": expected["sha1"],
        "X-Checksum-Md5": expected["md5"],
        "X-Checksum": expected["md5"],
    }
    deployed = await deploy(client, files, "app.tgz", DATA, headers)
    assert deployed["checksums"] == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Checksum-Sha256": "abc"},
        {"X-Checksum-Sha1": "z" * 40},
        {"X-Checksum": "1234"},
        {"X-Checksum-Md5": "a" * 32, "X-Checksum": "b" * 32},
    ],
)
async def test_malformed_checksums_are_400(
    client: httpx.AsyncClient, files: str, headers: dict[str, str]
) -> None:
    response = await client.put("/generic/files/a.bin", content=b"x", headers={**AUTH, **headers})
    assert response.status_code == 400
    assert message(response)


async def test_deploy_by_checksum_links_stored_content(
    client: httpx.AsyncClient, files: str, settings: Settings
) -> None:
    expected = sums(DATA)
    await deploy(client, files, "builds/7/app.tgz", DATA)
    headers = {**AUTH, "X-Checksum-Deploy": "true", "X-Checksum-Sha256": expected["sha256"]}
    linked = await client.put("/generic/files/releases/1.4/app.tgz", headers=headers)
    assert linked.status_code == 201, linked.text
    assert linked.json()["checksums"] == expected
    got = await client.get("/generic/files/releases/1.4/app.tgz", headers=AUTH)
    assert got.content == DATA
    assert len(blob_files(settings.blob_root)) == 1

    unknown = {**headers, "X-Checksum-Sha256": sums(b"never stored")["sha256"]}
    missing = await client.put("/generic/files/other.tgz", headers=unknown)
    assert missing.status_code == 404
    assert "deploy the file with its bytes" in message(missing)

    no_sha256 = {**AUTH, "X-Checksum-Deploy": "true", "X-Checksum-Sha1": expected["sha1"]}
    assert (await client.put("/generic/files/x.tgz", headers=no_sha256)).status_code == 400

    other_sha1 = {**headers, "X-Checksum-Sha1": sums(b"other")["sha1"]}
    assert (await client.put("/generic/files/y.tgz", headers=other_sha1)).status_code == 409


async def test_deploy_by_checksum_needs_read_where_the_content_is(
    client: httpx.AsyncClient, files: str
) -> None:
    """Knowing a digest is not a way to read content from a repository one may not read."""
    await create_generic(client, "secret")
    await deploy(client, "secret", "key.pem", b"private bytes")
    await create_user(client, "ci", "ci-password-123")
    await grant(client, "user:ci", ["files"], ["read", "write"])
    headers = {
        **basic("ci", "ci-password-123"),
        "X-Checksum-Deploy": "true",
        "X-Checksum-Sha256": sums(b"private bytes")["sha256"],
    }
    response = await client.put("/generic/files/stolen.pem", headers=headers)
    assert response.status_code == 404


async def test_the_same_content_is_stored_once(
    client: httpx.AsyncClient, files: str, settings: Settings
) -> None:
    await create_generic(client, "other")
    await deploy(client, files, "a/app.tgz", DATA)
    await deploy(client, files, "b/copy-of-app.tgz", DATA)
    await deploy(client, "other", "app.tgz", DATA)
    stored = blob_files(settings.blob_root)
    assert [p.name for p in stored] == [sums(DATA)["sha256"]]
    assert stored[0].read_bytes() == DATA
    assert staged_uploads(settings.blob_root) == []


async def test_an_empty_file(client: httpx.AsyncClient, files: str) -> None:
    await deploy(client, files, "empty", b"")
    got = await client.get("/generic/files/empty", headers=AUTH)
    assert got.status_code == 200
    assert got.content == b""
    assert got.headers["X-Checksum-Sha256"] == sums(b"")["sha256"]


async def test_a_large_file_streams_in_and_out(client: httpx.AsyncClient, files: str) -> None:
    data = bytes(range(256)) * 12_000  # about 3 MiB, several hashing batches

    async def chunks() -> Any:
        for start in range(0, len(data), 65536):
            yield data[start : start + 65536]

    response = await client.put("/generic/files/big.bin", content=chunks(), headers=AUTH)
    assert response.status_code == 201
    assert response.json()["checksums"] == sums(data)
    assert (await client.get("/generic/files/big.bin", headers=AUTH)).content == data


async def test_range_downloads(client: httpx.AsyncClient, files: str) -> None:
    data = bytes(range(256)) * 4
    await deploy(client, files, "range.bin", data)

    async def get(value: str) -> httpx.Response:
        return await client.get("/generic/files/range.bin", headers={**AUTH, "Range": value})

    part = await get("bytes=10-19")
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert part.headers["Content-Length"] == "10"
    assert part.headers["X-Checksum-Sha256"] == sums(data)["sha256"]
    tail = await get("bytes=-4")
    assert (tail.status_code, tail.content) == (206, data[-4:])
    open_ended = await get("bytes=1000-")
    assert (open_ended.status_code, open_ended.content) == (206, data[1000:])
    beyond = await get(f"bytes={len(data)}-")
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    assert message(beyond)
    several = await get("bytes=0-1,5-6")
    assert (several.status_code, several.content) == (200, data)


async def test_folder_listings(client: httpx.AsyncClient, files: str) -> None:
    for path in ("web/1.4/app.tgz", "web/1.4/app.sha", "web/1.5/app.tgz", "web/README", "top"):
        await deploy(client, files, path, path.encode())
    listed = await client.get("/generic/files/web/", headers=AUTH)
    assert listed.status_code == 200
    body = listed.json()
    assert body["repo"] == "files"
    assert body["path"] == "/web"
    assert body["children"][:2] == [
        {"uri": "/1.4", "folder": True},
        {"uri": "/1.5", "folder": True},
    ]
    readme = body["children"][2]
    assert readme["uri"] == "/README"
    assert readme["folder"] is False
    assert readme["size"] == len(b"web/README")
    assert readme["sha256"] == sums(b"web/README")["sha256"]
    assert readme["lastModified"].endswith("Z")
    assert len(body["children"]) == 3

    # Without the trailing slash, a folder is listed too.
    assert (await client.get("/generic/files/web", headers=AUTH)).json() == body
    root = (await client.get("/generic/files/", headers=AUTH)).json()
    assert root["path"] == "/"
    assert [(c["uri"], c["folder"]) for c in root["children"]] == [
        ("/top", False),
        ("/web", True),
    ]
    nested = (await client.get("/generic/files/web/1.4/", headers=AUTH)).json()
    assert [c["uri"] for c in nested["children"]] == ["/app.sha", "/app.tgz"]

    missing = await client.get("/generic/files/nothing/", headers=AUTH)
    assert missing.status_code == 404
    assert "no folder 'nothing'" in message(missing)
    a_file = await client.get("/generic/files/top/", headers=AUTH)
    assert a_file.status_code == 404


async def test_names_that_sort_around_the_separator(client: httpx.AsyncClient, files: str) -> None:
    """'a-b' and 'a.txt' sort before 'a/…', 'a0' after: each is listed once, by name."""
    for path in ("a/x", "a/y/z", "a-b", "a.txt", "a0", "b"):
        await deploy(client, files, path, b".")
    root = (await client.get("/generic/files/", headers=AUTH)).json()
    assert [c["uri"] for c in root["children"]] == ["/a", "/a-b", "/a.txt", "/a0", "/b"]
    assert [
        c["uri"] for c in (await client.get("/generic/files/a/", headers=AUTH)).json()["children"]
    ] == ["/x", "/y"]


async def test_paginated_file_list(client: httpx.AsyncClient, files: str) -> None:
    for index in range(5):
        await deploy(client, files, f"logs/{index}.txt", b"log")
    await deploy(client, files, "other/file", b"x")
    first = await client.get(
        "/api/v1/generic/files/files", params={"prefix": "logs/", "limit": 2}, headers=AUTH
    )
    assert first.status_code == 200
    page = first.json()
    assert [f["path"] for f in page["items"]] == ["logs/0.txt", "logs/1.txt"]
    assert page["items"][0]["sha256"] == sums(b"log")["sha256"]
    assert 'rel="next"' in first.headers["Link"]
    rest = await client.get(
        "/api/v1/generic/files/files",
        params={"prefix": "logs/", "limit": 10, "after": page["next"]},
        headers=AUTH,
    )
    assert [f["path"] for f in rest.json()["items"]] == ["logs/2.txt", "logs/3.txt", "logs/4.txt"]
    assert rest.json()["next"] is None
    everything = await client.get("/api/v1/generic/files/files", headers=AUTH)
    assert len(everything.json()["items"]) == 6
    bad = await client.get("/api/v1/generic/files/files?limit=0", headers=AUTH)
    assert bad.status_code == 400
    assert bad.headers["Content-Type"] == "application/problem+json"


async def test_delete_a_file_and_a_folder(client: httpx.AsyncClient, files: str) -> None:
    for path in ("old/1/a", "old/1/b", "old/2", "keep"):
        await deploy(client, files, path, path.encode())
    assert (await client.delete("/generic/files/keep", headers=AUTH)).status_code == 204
    assert (await client.get("/generic/files/keep", headers=AUTH)).status_code == 404
    assert (await client.delete("/generic/files/old/", headers=AUTH)).status_code == 204
    assert (await client.get("/generic/files/old/1/a", headers=AUTH)).status_code == 404
    root = (await client.get("/generic/files/", headers=AUTH)).json()
    assert root["children"] == []
    again = await client.delete("/generic/files/old", headers=AUTH)
    assert again.status_code == 404
    assert message(again)
    assert (await client.delete("/generic/files/", headers=AUTH)).status_code == 400


async def test_a_file_and_a_folder_cannot_share_a_path(
    client: httpx.AsyncClient, files: str
) -> None:
    await deploy(client, files, "dist/app", b"a file")
    under_a_file = await client.put("/generic/files/dist/app/inner", content=b"x", headers=AUTH)
    assert under_a_file.status_code == 409
    assert "is a file" in message(under_a_file)
    over_a_folder = await client.put("/generic/files/dist", content=b"x", headers=AUTH)
    assert over_a_folder.status_code == 409
    assert "is a folder" in message(over_a_folder)
    folder = await client.put("/generic/files/dist/", content=b"x", headers=AUTH)
    assert folder.status_code == 400


async def test_writes_are_in_the_audit_log(client: httpx.AsyncClient, files: str) -> None:
    await deploy(client, files, "audited.txt", b"x")
    await client.delete("/generic/files/audited.txt", headers=AUTH)
    await client.put("/generic/files/denied.txt", content=b"x")
    events = (
        await client.get("/api/v1/audit", params={"repository": "files"}, headers=AUTH)
    ).json()
    seen = [
        (e["action"], e["target"], e["status"], e["principal"])
        for e in events["items"]
        if e["action"].startswith("file.")
    ]
    assert seen == [
        ("file.deploy", "files/denied.txt", 401, "anonymous"),
        ("file.delete", "files/audited.txt", 204, "admin"),
        ("file.deploy", "files/audited.txt", 201, "admin"),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/generic/files/a/%2e%2e/b",
        "/generic/files/%2E%2E/secret",
        "/generic/files/a/%2e/b",
        "/generic/files/a%00b",
        "/generic/files/a%5Cb",
        "/generic/files/a%2Fb",
        "/generic/files/a//b",
        "/generic/files/" + "x" * 1025,
        "/generic/files/" + "a/" * 600 + "b",
        "/generic/files/a%0Ab",
        "/generic/files/%FF",
        "/generic/Files/a",
    ],
)
async def test_bad_paths_are_400(client: httpx.AsyncClient, files: str, path: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, path, content=b"x", headers=AUTH)
        assert response.status_code == 400, (method, path, response.text)
        assert message(response)


async def raw(registry: Registry, method: str, target: bytes) -> tuple[int, dict[str, Any]]:
    """A request with its path exactly as given: no client library cleans it up."""
    app = build_app(registry)
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": method,
        "path": target.decode("latin-1"),
        "raw_path": target,
        "query_string": b"",
        "headers": [(b"authorization", AUTH["Authorization"].encode())],
        "client": ("127.0.0.1", 1),
        "server": ("registry", 80),
        "scheme": "http",
        "root_path": "",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"x", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


@pytest.mark.parametrize(
    "target",
    [b"/generic/files/a/../b", b"/generic/files/../dev/x", b"/generic/files/./x", b"/generic/../x"],
)
async def test_dot_segments_sent_raw_are_400(
    client: httpx.AsyncClient, registry: Registry, files: str, target: bytes
) -> None:
    for method in ("GET", "PUT", "DELETE"):
        status, body = await raw(registry, method, target)
        assert status == 400, (method, target, body)
        assert body["errors"][0]["status"] == 400


async def test_what_is_not_there(client: httpx.AsyncClient, files: str) -> None:
    missing = await client.get("/generic/files/nope.txt", headers=AUTH)
    assert missing.status_code == 404
    assert "no file or folder 'nope.txt'" in message(missing)
    head = await client.head("/generic/files/nope.txt", headers=AUTH)
    assert (head.status_code, head.content) == (404, b"")
    unknown = await client.get("/generic/nowhere/x", headers=AUTH)
    assert unknown.status_code == 404
    assert "nowhere" in message(unknown)
    docker = await client.put("/generic/dev/x", content=b"x", headers=AUTH)
    assert docker.status_code == 400
    assert "not generic files" in message(docker)
    post = await client.post("/generic/files/x", content=b"x", headers=AUTH)
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD, PUT, DELETE"


async def test_anonymous_read_is_per_repository(client: httpx.AsyncClient, files: str) -> None:
    await deploy(client, files, "app.tgz", DATA)
    private = await client.get("/generic/files/app.tgz")
    assert private.status_code == 401
    assert private.headers["WWW-Authenticate"] == 'Basic realm="cargohold"'
    opened = await client.patch(
        "/api/v1/repositories/files", json={"anonymousRead": True}, headers=AUTH
    )
    assert opened.status_code == 200
    assert (await client.get("/generic/files/app.tgz")).content == DATA
    assert (await client.get("/generic/files/")).status_code == 200
    assert (await client.put("/generic/files/new", content=b"x")).status_code == 401
    wrong = await client.get("/generic/files/app.tgz", headers=basic("admin", "wrong"))
    assert wrong.status_code == 401


async def test_permissions(client: httpx.AsyncClient, files: str) -> None:
    await deploy(client, files, "existing.txt", b"old")
    await create_user(client, "reader", "reader-password")
    await create_user(client, "writer", "writer-password")
    await create_user(client, "owner", "owner-password")
    await grant(client, "user:reader", ["files"], ["read"])
    await grant(client, "user:writer", ["files"], ["read", "write"])
    await grant(client, "user:owner", ["files"], ["read", "write", "delete"])
    reader = basic("reader", "reader-password")
    writer = basic("writer", "writer-password")
    owner = basic("owner", "owner-password")

    assert (await client.get("/generic/files/existing.txt", headers=reader)).content == b"old"
    refused = await client.put("/generic/files/new.txt", content=b"x", headers=reader)
    assert refused.status_code == 403
    assert "may not write" in message(refused)
    assert (
        await client.put("/generic/files/new.txt", content=b"x", headers=writer)
    ).status_code == 201
    overwrite = await client.put("/generic/files/existing.txt", content=b"new", headers=writer)
    assert overwrite.status_code == 403
    assert "needs the delete permission" in message(overwrite)
    assert (await client.get("/generic/files/existing.txt", headers=AUTH)).content == b"old"
    by_checksum = {
        **writer,
        "X-Checksum-Deploy": "true",
        "X-Checksum-Sha256": sums(b"x")["sha256"],
    }
    assert (await client.put("/generic/files/existing.txt", headers=by_checksum)).status_code == 403
    assert (await client.delete("/generic/files/new.txt", headers=writer)).status_code == 403
    replaced = await client.put("/generic/files/existing.txt", content=b"new", headers=owner)
    assert replaced.status_code == 201
    assert replaced.json()["createdBy"] == "owner"
    assert (await client.delete("/generic/files/new.txt", headers=owner)).status_code == 204
    assert (await client.get("/generic/files/existing.txt", headers=owner)).content == b"new"
