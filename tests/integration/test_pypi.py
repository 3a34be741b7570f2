"""PyPI repositories in-process: the legacy upload API as twine uses it (the file checked
against the form and its own metadata), the simple API's pages in HTML and JSON by content
negotiation (PEP 503/691/592/658/700), downloads of files and their core metadata, access,
and virtual repositories. A refusal's message is checked in its body: the real server also
sends it as the status line (which pip and twine show), as the e2e tests check."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cargohold.api.pypi import upload as pypi_upload
from cargohold.registry.identity.audit import Actor
from cargohold.registry.registry import Registry
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH
from tests.pypi_dists import Dist, form, sdist, wheel

pytestmark = pytest.mark.anyio

JSON = "application/vnd.pypi.simple.v1+json"
HTML = "application/vnd.pypi.simple.v1+html"


async def create_pypi(client: httpx.AsyncClient, key: str, **extra: Any) -> None:
    body = {"key": key, "format": "pypi", **extra}
    response = await client.post("/api/v1/repositories", json=body, headers=AUTH)
    assert response.status_code == 201, response.text


async def upload(
    client: httpx.AsyncClient,
    key: str,
    dist: Dist,
    *,
    headers: dict[str, str] | None = None,
    filename: str | None = None,
    path: str = "",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        f"/pypi/{key}/{path}",
        data=form(dist, **fields),
        files={"content": (filename or dist.filename, dist.data, "application/octet-stream")},
        headers=AUTH if headers is None else headers,
    )


async def uploaded(client: httpx.AsyncClient, key: str, dist: Dist) -> None:
    response = await upload(client, key, dist)
    assert response.status_code == 200, response.text


async def page(client: httpx.AsyncClient, key: str, project: str) -> dict[str, Any]:
    response = await client.get(f"/pypi/{key}/simple/{project}/", headers={**AUTH, "Accept": JSON})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def pypi(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await create_pypi(client, "py")
    return client


async def test_an_uploaded_wheel_and_sdist_are_listed_in_json_and_html_and_served(
    pypi: httpx.AsyncClient,
) -> None:
    whl = wheel("Demo.Pkg", "1.0", requires_python=">=3.8,<4")
    tgz = sdist("Demo.Pkg", "1.0")
    await uploaded(pypi, "py", whl)
    await uploaded(pypi, "py", tgz)

    doc = await page(pypi, "py", "demo-pkg")
    assert doc["meta"] == {"api-version": "1.1"}
    assert doc["name"] == "demo-pkg"
    assert doc["versions"] == ["1.0"]
    files = {f["filename"]: f for f in doc["files"]}
    assert set(files) == {whl.filename, tgz.filename}
    one = files[whl.filename]
    assert one["hashes"] == {"sha256": whl.sha256}
    assert one["requires-python"] == ">=3.8,<4"
    assert one["size"] == len(whl.data)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", one["upload-time"])
    assert one["yanked"] is False
    meta_sha = hashlib.sha256(whl.metadata).hexdigest()
    assert one["core-metadata"] == {"sha256": meta_sha}
    assert one["dist-info-metadata"] == {"sha256": meta_sha}
    assert files[tgz.filename]["core-metadata"] is False

    base = "http://registry/pypi/py/simple/demo-pkg/"
    file_url = httpx.URL(base).join(one["url"])
    assert file_url.path == f"/pypi/py/files/demo-pkg/1.0/{whl.filename}"
    got = await pypi.get(file_url, headers=AUTH)
    assert got.status_code == 200
    assert got.content == whl.data
    assert got.headers["content-length"] == str(len(whl.data))
    ranged = await pypi.get(file_url, headers={**AUTH, "Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged.content == whl.data[:10]
    head = await pypi.head(file_url, headers=AUTH)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(whl.data))
    metadata = await pypi.get(f"{file_url}.metadata", headers=AUTH)
    assert metadata.status_code == 200
    assert metadata.content == whl.metadata
    assert hashlib.sha256(metadata.content).hexdigest() == meta_sha
    none = await pypi.get(f"/pypi/py/files/demo-pkg/1.0/{tgz.filename}.metadata", headers=AUTH)
    assert none.status_code == 404

    html = await pypi.get("/pypi/py/simple/demo-pkg/", headers=AUTH)
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["vary"] == "Accept"
    assert '<meta name="pypi:repository-version" content="1.1">' in html.text
    link = (
        f'<a href="../../files/demo-pkg/1.0/{whl.filename}#sha256={whl.sha256}" '
        'data-requires-python="&gt;=3.8,&lt;4" '
        f'data-core-metadata="sha256={meta_sha}" data-dist-info-metadata="sha256={meta_sha}">'
        f"{whl.filename}</a>"
    )
    assert link in html.text
    assert f'#sha256={tgz.sha256}">{tgz.filename}</a>' in html.text

    index = await pypi.get("/pypi/py/simple/", headers={**AUTH, "Accept": JSON})
    assert index.json() == {"meta": {"api-version": "1.1"}, "projects": [{"name": "demo-pkg"}]}
    index_html = await pypi.get("/pypi/py/simple/", headers=AUTH)
    assert '<a href="demo-pkg/">demo-pkg</a>' in index_html.text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/html; charset=utf-8"),
        ("text/html", "text/html; charset=utf-8"),
        (JSON, JSON),
        ("application/vnd.pypi.simple.latest+json", JSON),
        ("application/vnd.pypi.simple.latest+html", f"{HTML}; charset=utf-8"),
        (f"{JSON}, {HTML};q=0.1, text/html;q=0.01", JSON),  # pip's
        (f"{JSON};q=0.2, {HTML};q=0.9", f"{HTML}; charset=utf-8"),
        (f"text/html, {JSON};q=0", "text/html; charset=utf-8"),
        ("*/*", "text/html; charset=utf-8"),
        ("application/json, application/vnd.pypi.simple.v1+json;q=0.5", JSON),
        ("application/json", None),
        (f"{JSON};q=0", None),
    ],
)
async def test_the_page_type_is_negotiated_on_accept(
    pypi: httpx.AsyncClient, accept: str | None, expected: str | None
) -> None:
    await uploaded(pypi, "py", wheel("neg", "1.0"))
    headers = dict(AUTH) if accept is None else {**AUTH, "Accept": accept}
    for path in ("/pypi/py/simple/neg/", "/pypi/py/simple/"):
        response = await pypi.get(path, headers=headers)
        assert response.headers["vary" if expected else "content-type"]
        if expected is None:
            assert response.status_code == 406
            assert "application/vnd.pypi.simple.v1+json" in response.text
        else:
            assert response.status_code == 200
            assert response.headers["content-type"] == expected


async def test_names_are_normalised_by_redirect_and_a_project_with_no_version_is_404(
    pypi: httpx.AsyncClient,
) -> None:
    await uploaded(pypi, "py", wheel("Six_Pkg", "1.0"))
    for path in ("Six_Pkg/", "six.pkg/", "six-pkg", "SIX--PKG"):
        response = await pypi.get(f"/pypi/py/simple/{path}", headers=AUTH)
        assert response.status_code == 301, path
        assert response.headers["location"] == "/pypi/py/simple/six-pkg/"
    root = await pypi.get("/pypi/py/simple", headers=AUTH)
    assert root.status_code == 301
    assert root.headers["location"] == "/pypi/py/simple/"
    missing = await pypi.get("/pypi/py/simple/nothing-here/", headers=AUTH)
    assert missing.status_code == 404
    assert "nothing-here" in missing.text


async def test_a_name_normalising_to_an_existing_project_is_that_project(
    pypi: httpx.AsyncClient,
) -> None:
    await uploaded(pypi, "py", wheel("six", "1.0"))
    await uploaded(pypi, "py", wheel("Six", "1.1"))
    response = await upload(pypi, "py", wheel("SIX", "1.0"), path="legacy/")
    assert response.status_code == 409
    assert "File already exists" in response.text
    doc = await page(pypi, "py", "six")
    assert sorted(doc["versions"]) == ["1.0", "1.1"]
    assert [f["filename"] for f in doc["files"]] == [
        "six-1.0-py3-none-any.whl",
        "six-1.1-py3-none-any.whl",
    ]


async def test_an_existing_file_is_a_conflict_twine_recognises(pypi: httpx.AsyncClient) -> None:
    dist = wheel("dup", "1.0")
    await uploaded(pypi, "py", dist)
    again = await upload(pypi, "py", dist)
    assert again.status_code == 409
    assert again.text.startswith("File already exists: dup-1.0-py3-none-any.whl")


BAD_UPLOADS: list[tuple[str, dict[str, Any], str]] = [
    ("wrong sha256", {"sha256_digest": "0" * 64}, "sha256"),
    ("wrong md5", {"md5_digest": "0" * 32}, "md5"),
    ("malformed sha256", {"sha256_digest": "xyz"}, "sha256"),
    ("wrong blake2", {"blake2_256_digest": "0" * 64}, "blake2_256"),
    ("no digest", {"sha256_digest": "", "md5_digest": "", "blake2_256_digest": ""}, "digest"),
    ("form name differs", {"name": "other"}, "must agree"),
    ("form version differs", {"version": "2.0"}, "must agree"),
    ("invalid version", {"version": "not a version"}, "PEP 440"),
    ("invalid name", {"name": "-bad-"}, "project name"),
    ("unknown filetype", {"filetype": "bdist_egg"}, "filetype"),
    ("filetype of the other kind", {"filetype": "sdist"}, "sdist"),
    ("no action", {":action": ""}, ":action"),
    ("another action", {":action": "submit"}, ":action"),
    ("path in the filename", {"filename": "../good-1.0-py3-none-any.whl"}, "path"),
    ("folder in the filename", {"filename": "a/good-1.0-py3-none-any.whl"}, "path"),
    ("backslash", {"filename": "a\\good-1.0-py3-none-any.whl"}, "path"),
    ("unknown extension", {"filename": "good-1.0.exe"}, "wheel"),
    ("filename names another", {"filename": "bad-1.0-py3-none-any.whl"}, "must agree"),
    ("filename of another version", {"filename": "good-2.0-py3-none-any.whl"}, "must agree"),
]


@pytest.mark.parametrize(("why", "change", "said"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
async def test_a_bad_upload_is_refused_with_400_and_nothing_is_stored(
    pypi: httpx.AsyncClient, why: str, change: dict[str, Any], said: str
) -> None:
    fields = dict(change)
    filename = fields.pop("filename", None)
    response = await upload(pypi, "py", wheel("good", "1.0"), filename=filename, **fields)
    assert response.status_code == 400, response.text
    assert said in response.text
    missing = await pypi.get("/pypi/py/simple/good/", headers=AUTH)
    assert missing.status_code == 404


async def test_a_version_longer_than_a_repository_keeps_is_refused(
    pypi: httpx.AsyncClient,
) -> None:
    long = "1.0+" + "a" * 150  # a valid PEP 440 version
    response = await upload(pypi, "py", wheel("long", long))
    assert response.status_code == 400, response.text
    assert "longer than 128 characters" in response.text


async def test_a_file_whose_metadata_names_another_project_or_version_is_refused(
    pypi: httpx.AsyncClient,
) -> None:
    for dist in (
        wheel("good", "1.0", meta_name="evil"),
        wheel("good", "1.0", meta_version="6.6"),
        sdist("good", "1.0", meta_name="evil"),
    ):
        response = await upload(pypi, "py", dist)
        assert response.status_code == 400, response.text
        assert "the file's metadata" in response.text
    not_a_zip = Dist("good-1.0-py3-none-any.whl", b"not a zip", "bdist_wheel", "good", "1.0", b"")
    response = await upload(pypi, "py", not_a_zip)
    assert response.status_code == 400
    assert "archive" in response.text
    assert (await pypi.get("/pypi/py/simple/good/", headers=AUTH)).status_code == 404


async def test_malformed_forms_are_refused_before_any_work(pypi: httpx.AsyncClient) -> None:
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"}
    garbage = await pypi.post("/pypi/py/", content=b"--xyz\r\nnonsense", headers=headers)
    assert garbage.status_code == 400
    urlencoded = await pypi.post("/pypi/py/", data={":action": "file_upload"}, headers=AUTH)
    assert urlencoded.status_code == 400
    assert "multipart" in urlencoded.text
    huge = {**headers, "Content-Length": str(2 * 1024**3)}
    too_large = await pypi.post("/pypi/py/", content=b"--xyz--\r\n", headers=huge)
    assert too_large.status_code == 413
    no_file = await pypi.post(
        "/pypi/py/", data=form(wheel("good", "1.0")), files={"other": ("x", b"x")}, headers=AUTH
    )
    assert no_file.status_code == 400
    assert "content" in no_file.text
    get = await pypi.get("/pypi/py/", headers=AUTH)
    assert get.status_code == 405


async def test_uploads_need_write_and_reading_needs_read(pypi: httpx.AsyncClient) -> None:
    await create_user(pypi, "reader", "reader-secret")
    await grant(pypi, "user:reader", ["py"], ["read"])
    reader = basic("reader", "reader-secret")
    dist = wheel("guarded", "1.0")

    anonymous = await upload(pypi, "py", dist, headers={})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Basic realm="cargohold"'
    denied = await upload(pypi, "py", dist, headers=reader)
    assert denied.status_code == 403
    assert "'reader' may not write repository 'py'" in denied.text
    wrong = await upload(pypi, "py", dist, headers=basic("reader", "nope"))
    assert wrong.status_code == 401

    await uploaded(pypi, "py", dist)
    unread = await pypi.get("/pypi/py/simple/guarded/")
    assert unread.status_code == 401
    assert unread.headers["www-authenticate"] == 'Basic realm="cargohold"'
    read = await pypi.get("/pypi/py/simple/guarded/", headers=reader)
    assert read.status_code == 200
    file = await pypi.get(f"/pypi/py/files/guarded/1.0/{dist.filename}")
    assert file.status_code == 401
    await create_pypi(pypi, "open", anonymousRead=True)
    await uploaded(pypi, "open", dist)
    assert (await pypi.get("/pypi/open/simple/guarded/")).status_code == 200
    opened = await pypi.get(f"/pypi/open/files/guarded/1.0/{dist.filename}")
    assert opened.content == dist.data


async def test_a_yanked_version_is_marked_with_its_reason(
    pypi: httpx.AsyncClient, registry: Registry
) -> None:
    await uploaded(pypi, "py", wheel("yanky", "1.0"))
    await uploaded(pypi, "py", wheel("yanky", "1.1"))
    await uploaded(pypi, "py", wheel("yanky", "1.2"))
    actor = Actor(None)
    await registry.package_changes.yank(actor, "py", "yanky", {"1.1": "broken <build>", "1.2": ""})
    doc = await page(pypi, "py", "yanky")
    yanked = {f["filename"]: f["yanked"] for f in doc["files"]}
    assert yanked == {
        "yanky-1.0-py3-none-any.whl": False,
        "yanky-1.1-py3-none-any.whl": "broken <build>",
        "yanky-1.2-py3-none-any.whl": True,
    }
    html = (await pypi.get("/pypi/py/simple/yanky/", headers=AUTH)).text
    assert 'data-yanked="broken &lt;build&gt;"' in html
    assert html.count("data-yanked=") == 2


async def test_a_virtual_repository_lists_its_members_guarded_and_deploys_to_its_target(
    pypi: httpx.AsyncClient,
) -> None:
    await create_pypi(pypi, "team")
    await create_pypi(pypi, "all", kind="virtual", members=["py", "team"], defaultDeployRepo="team")
    await uploaded(pypi, "py", wheel("shared", "1.0"))
    await uploaded(pypi, "team", wheel("shared", "2.0"))
    doc = await page(pypi, "all", "shared")
    assert doc["versions"] == ["1.0", "2.0"]
    newer = next(f for f in doc["files"] if f["filename"].startswith("shared-2.0"))
    url = httpx.URL("http://registry/pypi/all/simple/shared/").join(newer["url"])
    assert url.path == "/pypi/all/files/shared/2.0/shared-2.0-py3-none-any.whl"
    got = await pypi.get(url, headers=AUTH)
    assert got.status_code == 200
    assert got.content == wheel("shared", "2.0").data

    deployed = wheel("via-virtual", "1.0")
    await uploaded(pypi, "all", deployed)
    assert (await page(pypi, "team", "via-virtual"))["versions"] == ["1.0"]
    index = await pypi.get("/pypi/all/simple/", headers={**AUTH, "Accept": JSON})
    assert [p["name"] for p in index.json()["projects"]] == ["shared", "via-virtual"]

    await create_pypi(pypi, "nowhere", kind="virtual", members=["py"])
    refused = await upload(pypi, "nowhere", wheel("x", "1.0"))
    assert refused.status_code == 403
    assert "no default deploy" in refused.text


async def test_a_repository_allowing_overwrite_replaces_an_existing_file(
    pypi: httpx.AsyncClient,
) -> None:
    first = wheel("over", "1.0")
    await uploaded(pypi, "py", first)
    allowed = await pypi.patch(
        "/api/v1/repositories/py", json={"allowOverwrite": True}, headers=AUTH
    )
    assert allowed.status_code == 200, allowed.text
    second = wheel("over", "1.0", requires_python=">=3.10")
    assert second.data != first.data
    await uploaded(pypi, "py", second)
    (entry,) = (await page(pypi, "py", "over"))["files"]
    assert entry["hashes"] == {"sha256": second.sha256}
    got = await pypi.get(f"/pypi/py/files/over/1.0/{second.filename}", headers=AUTH)
    assert got.content == second.data


async def test_a_body_past_the_limit_is_refused_as_it_arrives(
    pypi: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pypi_upload, "MAX_BODY", 4096)
    dist = wheel("big", "1.0")
    request = pypi.build_request(
        "POST",
        "/pypi/py/",
        data=form(dist),
        files={"content": (dist.filename, dist.data + b"\0" * 8192)},
        headers=AUTH,
    )
    body = request.read()

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    response = await pypi.post("/pypi/py/", content=chunked(), headers=headers)
    assert response.status_code == 413
    assert "limited to 4096 bytes" in response.text
    assert (await pypi.get("/pypi/py/simple/big/", headers=AUTH)).status_code == 404


async def test_a_filename_with_a_nul_is_refused(pypi: httpx.AsyncClient) -> None:
    dist = wheel("good", "1.0")
    request = pypi.build_request(
        "POST",
        "/pypi/py/",
        data=form(dist),
        files={"content": ("good-1.0-py3-none-any.whl%00x", dist.data)},
        headers=AUTH,
    )
    body = request.read().replace(b"whl%00x", b"whl\0x")  # httpx would escape a NUL
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    response = await pypi.post("/pypi/py/", content=body, headers=headers)
    assert response.status_code == 400
    assert "is not a plain file name" in response.text
