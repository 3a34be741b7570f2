"""Maven repositories in-process: deploys as mvn sends them (file, then its checksum files,
then the client's maven-metadata.xml), downloads with their headers and checksum files, the
metadata the server keeps (versions in Maven's ordering, snapshot builds), immutable
releases, POMs checked against their path, access, bad input refused with a 4xx, and the
package core (listing, promotion, deletion) seeing Maven versions as any other. A refusal's
message is checked in its body: the real server also sends it as the reason phrase (which
mvn prints), as the e2e tests check."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest

from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH
from tests.maven_artifacts import jar, pom

pytestmark = pytest.mark.anyio
BASE = "/maven/libs"
HELLO = f"{BASE}/com/example/hello"


async def create_maven(client: httpx.AsyncClient, key: str, **extra: Any) -> None:
    body = {"key": key, "format": "maven", **extra}
    response = await client.post("/api/v1/repositories", json=body, headers=AUTH)
    assert response.status_code == 201, response.text


async def put(
    client: httpx.AsyncClient, path: str, data: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.put(path, content=data, headers=AUTH if headers is None else headers)


async def deploy(
    client: httpx.AsyncClient, directory: str, files: dict[str, bytes], base: str = BASE
) -> None:
    """As mvn deploys: each file, then its .sha1 and .md5."""
    for filename, data in files.items():
        for path, body in (
            (filename, data),
            (f"{filename}.sha1", hashlib.sha1(data).hexdigest().encode()),
            (f"{filename}.md5", hashlib.md5(data).hexdigest().encode()),
        ):
            response = await put(client, f"{base}/{directory}/{path}", body)
            assert response.status_code == 201, (path, response.text)


async def release(
    client: httpx.AsyncClient, version: str, data: bytes | None = None, base: str = BASE
) -> bytes:
    built = data if data is not None else jar({"v": version.encode()})
    await deploy(
        client,
        f"com/example/hello/{version}",
        {
            f"hello-{version}.pom": pom("com.example", "hello", version),
            f"hello-{version}.jar": built,
        },
        base,
    )
    return built


def tag(xml: str, name: str) -> list[str]:
    return re.findall(rf"<{name}>([^<]*)</{name}>", xml)


async def text(client: httpx.AsyncClient, path: str, status: int = 200) -> str:
    response = await client.get(path, headers=AUTH)
    assert response.status_code == status, response.text
    return response.text


@pytest.fixture
async def maven(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await create_maven(client, "libs")
    return client


async def test_a_deployed_release_is_served_with_its_checksums_and_metadata(
    maven: httpx.AsyncClient,
) -> None:
    data = await release(maven, "1.0")
    metadata = (
        b"<metadata><versioning><versions><version>1.0</version></versions></versioning></metadata>"
    )
    for suffix in ("", ".sha1", ".md5"):  # the client's own metadata: taken, ignored
        assert (
            await put(maven, f"{HELLO}/maven-metadata.xml{suffix}", metadata)
        ).status_code == 201

    got = await maven.get(f"{HELLO}/1.0/hello-1.0.jar", headers=AUTH)
    assert got.status_code == 200
    assert got.content == data
    sha1 = hashlib.sha1(data).hexdigest()
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["x-checksum-sha1"] == sha1
    assert got.headers["x-checksum-sha256"] == hashlib.sha256(data).hexdigest()
    assert got.headers["etag"] == f'"{sha1}"'
    assert got.headers["last-modified"].endswith(" GMT")
    assert got.headers["content-type"] == "application/java-archive"
    head = await maven.head(f"{HELLO}/1.0/hello-1.0.jar", headers=AUTH)
    assert head.status_code == 200 and head.content == b""
    for header in ("content-length", "etag", "last-modified", "x-checksum-sha1"):
        assert head.headers[header] == got.headers[header]
    assert await text(maven, f"{HELLO}/1.0/hello-1.0.jar.sha1") == sha1
    assert await text(maven, f"{HELLO}/1.0/hello-1.0.jar.md5") == hashlib.md5(data).hexdigest()
    assert await text(maven, f"{HELLO}/1.0/hello-1.0.jar.sha256") == (
        hashlib.sha256(data).hexdigest()
    )
    assert (await maven.get(f"{HELLO}/1.0/hello-1.0.jar.sha512", headers=AUTH)).status_code == 404
    assert (
        await text(maven, f"{HELLO}/1.0/hello-1.0.pom")
        == pom("com.example", "hello", "1.0").decode()
    )

    served = await maven.get(f"{HELLO}/maven-metadata.xml", headers=AUTH)
    assert served.status_code == 200
    xml = served.text
    assert xml != metadata.decode()
    assert tag(xml, "groupId") == ["com.example"] and tag(xml, "artifactId") == ["hello"]
    assert tag(xml, "versions") == [] and tag(xml, "version") == ["1.0"]
    assert tag(xml, "release") == ["1.0"] and tag(xml, "latest") == ["1.0"]
    assert re.fullmatch(r"\d{14}", tag(xml, "lastUpdated")[0])
    assert await text(maven, f"{HELLO}/maven-metadata.xml.sha1") == (
        hashlib.sha1(served.content).hexdigest()
    )
    assert await text(maven, f"{HELLO}/maven-metadata.xml.sha256") == (
        hashlib.sha256(served.content).hexdigest()
    )
    for absent in (
        f"{HELLO}/1.0/hello-1.0-sources.jar",
        f"{HELLO}/2.0/hello-2.0.jar",
        f"{HELLO}/2.0/hello-2.0.jar.sha1",
        f"{BASE}/com/example/other/maven-metadata.xml",
        f"{HELLO}/1.0-SNAPSHOT/maven-metadata.xml",
    ):
        assert (await maven.get(absent, headers=AUTH)).status_code == 404, absent
        assert (await maven.head(absent, headers=AUTH)).status_code == 404, absent


async def test_versions_are_listed_in_mavens_ordering(maven: httpx.AsyncClient) -> None:
    for version in ("1.10", "1.9", "1.0-alpha-1", "1.0", "2.0-SNAPSHOT"):
        directory = f"com/example/hello/{version}"
        filename = f"hello-{version}.pom"
        if version.endswith("-SNAPSHOT"):
            filename = "hello-2.0-20260101.120000-1.pom"
        await deploy(maven, directory, {filename: pom("com.example", "hello", version)})
    xml = await text(maven, f"{HELLO}/maven-metadata.xml")
    assert tag(xml, "version") == ["1.0-alpha-1", "1.0", "1.9", "1.10", "2.0-SNAPSHOT"]
    assert tag(xml, "release") == ["1.10"]
    assert tag(xml, "latest") == ["2.0-SNAPSHOT"]


async def test_snapshot_builds_are_numbered_from_the_served_metadata(
    maven: httpx.AsyncClient,
) -> None:
    snapshot = f"{HELLO}/1.1-SNAPSHOT"
    assert (await maven.get(f"{snapshot}/maven-metadata.xml")).status_code in (401, 404)
    assert (await maven.get(f"{snapshot}/maven-metadata.xml", headers=AUTH)).status_code == 404
    first = jar({"build": b"1"})
    await deploy(
        maven,
        "com/example/hello/1.1-SNAPSHOT",
        {
            "hello-1.1-20261207.233031-1.pom": pom("com.example", "hello", "1.1-SNAPSHOT"),
            "hello-1.1-20261207.233031-1.jar": first,
            "hello-1.1-20261207.233031-1-sources.jar": jar({"src": b"1"}),
        },
    )
    xml = await text(maven, f"{snapshot}/maven-metadata.xml")
    assert tag(xml, "buildNumber") == ["1"] and tag(xml, "timestamp") == ["20261207.233031"]
    second = jar({"build": b"2"})
    await deploy(
        maven,
        "com/example/hello/1.1-SNAPSHOT",
        {
            "hello-1.1-20261207.233037-2.pom": pom("com.example", "hello", "1.1-SNAPSHOT"),
            "hello-1.1-20261207.233037-2.jar": second,
        },
    )
    xml = await text(maven, f"{snapshot}/maven-metadata.xml")
    assert tag(xml, "version") == ["1.1-SNAPSHOT"]
    assert tag(xml, "buildNumber") == ["2"] and tag(xml, "timestamp") == ["20261207.233037"]
    entries = re.findall(r"<snapshotVersion>(.*?)</snapshotVersion>", xml, re.S)
    shown = sorted(
        (tag(e, "classifier"), tag(e, "extension")[0], tag(e, "value")[0]) for e in entries
    )
    assert shown == [
        ([], "jar", "1.1-20261207.233037-2"),
        ([], "pom", "1.1-20261207.233037-2"),
        (["sources"], "jar", "1.1-20261207.233031-1"),
    ]
    # The plain snapshot name is the newest build of it, checksums too.
    plain = await maven.get(f"{snapshot}/hello-1.1-SNAPSHOT.jar", headers=AUTH)
    assert plain.status_code == 200 and plain.content == second
    assert await text(maven, f"{snapshot}/hello-1.1-SNAPSHOT.jar.sha1") == (
        hashlib.sha1(second).hexdigest()
    )
    old = await maven.get(f"{snapshot}/hello-1.1-20261207.233031-1.jar", headers=AUTH)
    assert old.content == first
    # A snapshot build may be deployed over.
    again = await put(maven, f"{snapshot}/hello-1.1-20261207.233037-2.jar", jar({"x": b"y"}))
    assert again.status_code == 201
    ga = await text(maven, f"{HELLO}/maven-metadata.xml")
    assert tag(ga, "latest") == ["1.1-SNAPSHOT"] and tag(ga, "release") == []


async def test_a_release_is_immutable_unless_the_repository_allows_overwriting(
    maven: httpx.AsyncClient,
) -> None:
    data = await release(maven, "1.0")
    # The same bytes again: a retried deploy passes.
    assert (await put(maven, f"{HELLO}/1.0/hello-1.0.jar", data)).status_code == 201
    refused = await put(maven, f"{HELLO}/1.0/hello-1.0.jar", jar({"other": b"bytes"}))
    assert refused.status_code == 409
    assert refused.text.startswith("Conflict: com.example:hello:1.0 is already deployed")
    assert "does not allow redeploy" in refused.text
    assert (await maven.get(f"{HELLO}/1.0/hello-1.0.jar", headers=AUTH)).content == data

    await create_maven(maven, "libs-open", allowOverwrite=True)
    await release(maven, "1.0", base="/maven/libs-open")
    other = jar({"other": b"bytes"})
    hello = "/maven/libs-open/com/example/hello"
    assert (await put(maven, f"{hello}/1.0/hello-1.0.jar", other)).status_code == 201
    assert (await maven.get(f"{hello}/1.0/hello-1.0.jar", headers=AUTH)).content == other


async def test_checksum_files_are_checked_against_the_stored_file(
    maven: httpx.AsyncClient,
) -> None:
    data = await release(maven, "1.0")
    path = f"{HELLO}/1.0/hello-1.0.jar"
    for algorithm in ("sha1", "md5", "sha256", "sha512"):
        digest = hashlib.new(algorithm, data).hexdigest()
        good = await put(
            maven, f"{path}.{algorithm}", f"{digest.upper()}  hello-1.0.jar\n".encode()
        )
        assert good.status_code == 201, (algorithm, good.text)
        wrong = await put(maven, f"{path}.{algorithm}", b"0" * len(digest))
        assert wrong.status_code == 400, algorithm
        assert wrong.text.startswith(f"checksum mismatch for hello-1.0.jar: received {algorithm}")
        assert digest in wrong.text
    # A checksum before its file: taken, not kept (what is served comes from the bytes).
    early = await put(maven, f"{HELLO}/1.1/hello-1.1.jar.sha1", b"0" * 40)
    assert early.status_code == 201
    assert (await maven.get(f"{HELLO}/1.1/hello-1.1.jar.sha1", headers=AUTH)).status_code == 404
    # Checksums sent as headers with the file (Maven 3.9, Gradle) are checked as it arrives.
    sent = jar({"sent": b"with headers"})
    headed = f"{HELLO}/1.2/hello-1.2.jar"
    wrong = await put(maven, headed, sent, {**AUTH, "X-Checksum-Sha1": "0" * 40})
    assert wrong.status_code == 400 and "checksum mismatch" in wrong.text
    assert (await maven.get(headed, headers=AUTH)).status_code == 404
    right = {**AUTH, "X-Checksum-Sha1": hashlib.sha1(sent).hexdigest()}
    assert (await put(maven, headed, sent, right)).status_code == 201
    too_long = await put(maven, f"{path}.sha1", b"0" * 5000)
    assert too_long.status_code == 413


async def test_a_pom_must_agree_with_its_path(maven: httpx.AsyncClient) -> None:
    wrong = await put(maven, f"{HELLO}/2.0/hello-2.0.pom", pom("com.example", "tool", "2.0"))
    assert wrong.status_code == 400
    assert "the POM says artifactId tool, but it is deployed as com.example:hello:2.0" in wrong.text
    version = await put(maven, f"{HELLO}/2.0/hello-2.0.pom", pom("com.example", "hello", "2.1"))
    assert version.status_code == 400 and "version 2.1" in version.text
    group = await put(maven, f"{HELLO}/2.0/hello-2.0.pom", pom("org.other", "hello", "2.0"))
    assert group.status_code == 400 and "groupId org.other" in group.text
    # Expressions and what a parent gives are not the POM's word on its coordinates.
    inherited = (
        b'<project xmlns="http://maven.apache.org/POM/4.0.0"><parent><groupId>com.example'
        b"</groupId><artifactId>parent</artifactId><version>1</version></parent>"
        b"<artifactId>hello</artifactId><version>${revision}</version></project>"
    )
    assert (await put(maven, f"{HELLO}/2.0/hello-2.0.pom", inherited)).status_code == 201
    for bad in (
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "b">]><project/>',
        b"<settings/>",
    ):
        refused = await put(maven, f"{HELLO}/3.0/hello-3.0.pom", bad)
        assert refused.status_code == 400, bad
    assert (await maven.get(f"{HELLO}/3.0/hello-3.0.pom", headers=AUTH)).status_code == 404
    # Gradle's module metadata and any classifier and extension are files like any other.
    for filename in ("hello-2.0.module", "hello-2.0-dist.tar.gz", "hello-2.0-javadoc.jar"):
        assert (await put(maven, f"{HELLO}/2.0/{filename}", b"{}")).status_code == 201
        assert (await maven.get(f"{HELLO}/2.0/{filename}", headers=AUTH)).content == b"{}"


async def test_deploying_needs_write_and_reading_a_private_repository_asks_for_credentials(
    maven: httpx.AsyncClient,
) -> None:
    await create_user(maven, "reader", "reader-secret-1")
    await grant(maven, "user:reader", ["libs"], ["read"])
    await release(maven, "1.0")
    anonymous = await put(maven, f"{HELLO}/1.1/hello-1.1.jar", jar(), headers={})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Basic realm="cargohold"'
    reader = basic("reader", "reader-secret-1")
    refused = await put(maven, f"{HELLO}/1.1/hello-1.1.jar", jar(), headers=reader)
    assert refused.status_code == 403
    asked = await maven.get(f"{HELLO}/1.0/hello-1.0.jar")
    assert asked.status_code == 401
    assert asked.headers["www-authenticate"] == 'Basic realm="cargohold"'
    assert (await maven.get(f"{HELLO}/1.0/hello-1.0.jar", headers=reader)).status_code == 200
    bad = await maven.get(f"{HELLO}/1.0/hello-1.0.jar", headers=basic("reader", "wrong-pass"))
    assert bad.status_code == 401


async def test_bad_input_is_refused_with_a_4xx(maven: httpx.AsyncClient) -> None:
    await create_maven(maven, "py-things", format="pypi")
    cases = [
        ("PUT", f"{BASE}/hello.jar"),
        ("PUT", f"{BASE}/com/hello/1.0"),
        ("PUT", f"{HELLO}/1.0/other-1.0.jar"),
        ("PUT", f"{HELLO}/1.0/hello-1.0"),
        ("PUT", f"{HELLO}/1.0/hello-1.0-.jar"),
        ("PUT", f"{HELLO}/1.0/hello-1.0jar"),
        ("PUT", f"{BASE}/com.example/hello/1.0/hello-1.0.jar"),
        ("PUT", f"{HELLO}/1.0/..%2f..%2fhello-1.0.jar"),
        ("PUT", f"{HELLO}/../1.0/hello-1.0.jar"),
        ("PUT", f"{HELLO}/1.0/%00hello-1.0.jar"),
        ("PUT", f"{HELLO}/{'9' * 200}/hello-{'9' * 200}.jar"),
        ("PUT", f"{BASE}/{'a/' * 600}x/1/x-1.jar"),
        ("PUT", "/maven/py-things/com/example/hello/1.0/hello-1.0.jar"),
        ("PUT", "/maven/nothere/com/example/hello/1.0/hello-1.0.jar"),
        ("PUT", "/maven/"),
        ("PUT", "/maven/Bad Key/x"),
        ("GET", "/maven/py-things/com/example/hello/maven-metadata.xml"),
        ("DELETE", f"{HELLO}/1.0/hello-1.0.jar"),
        ("POST", f"{HELLO}/1.0/hello-1.0.jar"),
    ]
    for method, path in cases:
        response = await maven.request(method, path, content=b"x", headers=AUTH)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert response.text.strip(), (method, path)
    # Reading what is not there, whatever the path, is a 404.
    for path in (
        f"{BASE}/",
        f"{BASE}/archetype-catalog.xml",
        f"{BASE}/com/example/hello/",
        f"{HELLO}/1.0/",
        f"{HELLO}/1.0/other-1.0.jar",
        f"{BASE}/com.example/hello/1.0/hello-1.0.jar",
    ):
        assert (await maven.get(path, headers=AUTH)).status_code == 404, path
        assert (await maven.head(path, headers=AUTH)).status_code == 404, path
    big = await maven.put(
        f"{HELLO}/maven-metadata.xml", content=b"x" * (1024 * 1024 + 1), headers=AUTH
    )
    assert big.status_code == 413
    claimed = await maven.put(
        f"{HELLO}/1.0/hello-1.0.pom",
        content=b"x",
        headers={**AUTH, "Content-Length": str(5 * 1024 * 1024)},
    )
    assert claimed.status_code in (400, 413)


async def test_maven_versions_are_packages_listed_promoted_and_deleted_as_any(
    maven: httpx.AsyncClient,
) -> None:
    data = await release(maven, "1.0")
    await release(maven, "1.1")
    listed = await maven.get("/api/v1/packages/libs", headers=AUTH)
    assert [p["name"] for p in listed.json()["items"]] == ["com/example/hello"]
    versions = await maven.get("/api/v1/packages/libs/com.example:hello/versions", headers=AUTH)
    assert versions.status_code == 200, versions.text
    shown = {v["version"]: [f["path"] for f in v["files"]] for v in versions.json()["versions"]}
    assert shown["1.0"] == [
        "com/example/hello/1.0/hello-1.0.jar",
        "com/example/hello/1.0/hello-1.0.pom",
    ]

    await create_maven(maven, "libs-prod")
    promoted = await maven.post(
        "/api/v1/packages/libs/promote",
        json={
            "targetRepo": "libs-prod",
            "name": "com.example:hello",
            "version": "1.0",
            "properties": {"qa": "passed"},
        },
        headers=AUTH,
    )
    assert promoted.status_code == 200, promoted.text
    prod = "/maven/libs-prod/com/example/hello"
    assert (await maven.get(f"{prod}/1.0/hello-1.0.jar", headers=AUTH)).content == data
    assert tag(await text(maven, f"{prod}/maven-metadata.xml"), "version") == ["1.0"]
    properties = await maven.get(
        "/api/v1/properties",
        params={"repository": "libs-prod", "package": "com.example:hello", "version": "1.0"},
        headers=AUTH,
    )
    assert properties.status_code == 200, properties.text
    assert "passed" in properties.text

    deleted = await maven.delete("/api/v1/packages/libs/com/example/hello/1.1", headers=AUTH)
    assert deleted.status_code == 200, deleted.text
    assert tag(await text(maven, f"{HELLO}/maven-metadata.xml"), "version") == ["1.0"]
    assert (await maven.get(f"{HELLO}/1.1/hello-1.1.jar", headers=AUTH)).status_code == 404
