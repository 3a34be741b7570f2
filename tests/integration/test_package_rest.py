"""The REST API of package versions (PyPI, npm) in-process: listing packages, a package's
versions with their files, dist-tags and properties; yanking and undoing it; deleting a
version; promoting one to another repository of its format (copy, move, dry run, conflicts,
refusals, policies, the promotion record); and where-used finding a package's file.

Versions are published through ``registry.packages`` as the PyPI and npm protocols do."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH, Clock
from tests.integration.generic import blob_files
from tests.integration.packages import create_repository, package_registry, publish
from tests.integration.test_policies import ADVISORIES, HIGH, policy, watch, wheel
from tests.unit.test_openapi import conform

pytestmark = pytest.mark.anyio

API = "/api/v1"
WHEEL = "six-1.16.0-py2.py3-none-any.whl"
SDIST = "six-1.16.0.tar.gz"
URLLIB3 = "urllib3-1.26.5-py2.py3-none-any.whl"


class Ticking(Clock):
    """A clock that moves on at every reading, as a real one does between two requests:
    promotion records are listed newest first."""

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Ticking()


@pytest.fixture
def registry(settings: Settings, clock: Clock) -> Iterator[Registry]:
    yield from package_registry(settings, clock)


@pytest.fixture
async def repositories(client: httpx.AsyncClient, registry: Registry) -> None:
    """pypi-dev and pypi-prod (local), npm-dev (local), with six 1.15.0 and 1.16.0 and
    requests 2.32.3 in pypi-dev, @team/ui 1.0.0 (latest) and 1.1.0 (next) in npm-dev."""
    for key, format in (("pypi-dev", "pypi"), ("pypi-prod", "pypi"), ("npm-dev", "npm")):
        await create_repository(client, key, format)
    await publish(registry, "pypi-dev", "six", "1.15.0", {"six-1.15.0.tar.gz": b"six 1.15"})
    await publish(registry, "pypi-dev", "six", "1.16.0", {WHEEL: b"six wheel", SDIST: b"sdist"})
    await publish(registry, "pypi-dev", "requests", "2.32.3", {"requests-2.32.3.tar.gz": b"r"})
    await publish(
        registry,
        "npm-dev",
        "@team/ui",
        "1.0.0",
        {"ui-1.0.0.tgz": b"ui 1"},
        tags={"latest": "1.0.0"},
    )
    await publish(
        registry, "npm-dev", "@team/ui", "1.1.0", {"ui-1.1.0.tgz": b"ui 2"}, tags={"next": "1.1.0"}
    )


async def get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await client.get(f"{API}{path}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def versions(client: httpx.AsyncClient, key: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = await get(client, f"/packages/{key}/{name}/versions")
    return found


async def shown_versions(client: httpx.AsyncClient, key: str, name: str) -> list[str]:
    response = await client.get(f"{API}/packages/{key}/{name}/versions", headers=AUTH)
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    return [v["version"] for v in response.json()["versions"]]


async def promote(
    client: httpx.AsyncClient, source: str, body: dict[str, Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return await client.post(f"{API}/packages/{source}/promote", json=body, headers=headers)


def detail(response: httpx.Response) -> str:
    text: str = response.json()["detail"]
    return text


async def test_packages_and_their_versions_with_files_tags_and_properties(
    client: httpx.AsyncClient, repositories: None
) -> None:
    listed = await get(client, "/packages/pypi-dev")
    assert [p["name"] for p in listed["items"]] == ["requests", "six"]
    first = await get(client, "/packages/pypi-dev", limit="1")
    assert [p["name"] for p in first["items"]] == ["requests"]
    rest = await get(client, "/packages/pypi-dev", limit="1", after=first["next"])
    assert [p["name"] for p in rest["items"]] == ["six"]
    assert rest["next"] is None
    assert (await get(client, "/packages/pypi-prod"))["items"] == []

    six = await versions(client, "pypi-dev", "six")
    assert (six["repository"], six["format"], six["name"]) == ("pypi-dev", "pypi", "six")
    assert [v["version"] for v in six["versions"]] == ["1.15.0", "1.16.0"]
    latest = six["versions"][1]
    assert (latest["yanked"], latest["tags"], latest["properties"]) == (None, [], {})
    assert latest["createdBy"] == "admin"
    files = {f["filename"]: f for f in latest["files"]}
    assert sorted(files) == [WHEEL, SDIST]
    assert files[WHEEL]["path"] == f"six/1.16.0/{WHEEL}"
    assert files[WHEEL]["size"] == len(b"six wheel")
    assert files[WHEEL]["sha256"] == hashlib.sha256(b"six wheel").hexdigest()
    # A PyPI name is found however it is written: Six, SIX and six are one project.
    assert (await versions(client, "pypi-dev", "Six"))["name"] == "six"

    ui = await versions(client, "npm-dev", "@team/ui")
    assert [(v["version"], v["tags"]) for v in ui["versions"]] == [
        ("1.0.0", ["latest"]),
        ("1.1.0", ["next"]),
    ]

    where = {"repository": "pypi-dev", "package": "Six", "version": "1.16.0"}
    stored = await client.put(
        f"{API}/properties",
        params=where,
        json={"properties": {"qa.status": "passed", "build.number": ["7"]}},
        headers=AUTH,
    )
    assert stored.status_code == 200, stored.text
    assert (await get(client, "/properties", **where))["properties"] == {
        "build.number": ["7"],
        "qa.status": ["passed"],
    }
    six = await versions(client, "pypi-dev", "six")
    conform(six, "PackageVersions")
    assert six["versions"][1]["properties"] == {"build.number": ["7"], "qa.status": ["passed"]}
    assert six["versions"][0]["properties"] == {}
    missing = await client.get(f"{API}/properties", params=where | {"version": "9.9"}, headers=AUTH)
    assert missing.status_code == 404, missing.text

    unknown = await client.get(f"{API}/packages/pypi-dev/nosuch/versions", headers=AUTH)
    assert unknown.status_code == 404
    assert detail(unknown) == "no package nosuch in repository 'pypi-dev'"
    docker = await client.get(f"{API}/packages/dev", headers=AUTH)
    assert docker.status_code == 400
    assert "holds docker, not packages" in detail(docker)
    absent = await client.get(f"{API}/packages/nosuch", headers=AUTH)
    assert absent.status_code == 404
    anonymous = await client.get(f"{API}/packages/pypi-dev")
    assert anonymous.status_code == 401


async def test_yanking_a_version_and_undoing_it(
    client: httpx.AsyncClient, repositories: None
) -> None:
    url = f"{API}/packages/pypi-dev/six/1.15.0/yank"
    yanked = await client.post(url, json={"reason": "broken on 3.12"}, headers=AUTH)
    assert yanked.status_code == 200, yanked.text
    conform(yanked.json(), "Yanked")
    assert yanked.json() == {
        "repository": "pypi-dev",
        "name": "six",
        "version": "1.15.0",
        "yanked": "broken on 3.12",
    }
    six = await versions(client, "pypi-dev", "six")
    assert [(v["version"], v["yanked"]) for v in six["versions"]] == [
        ("1.15.0", "broken on 3.12"),
        ("1.16.0", None),
    ]
    # PyPI yanks without a reason too: yanked, with an empty reason.
    quiet = await client.post(f"{API}/packages/pypi-dev/SIX/1.16.0/yank", headers=AUTH)
    assert quiet.status_code == 200, quiet.text
    assert quiet.json()["yanked"] == ""
    undone = await client.delete(url, headers=AUTH)
    assert undone.status_code == 200, undone.text
    assert undone.json()["yanked"] is None
    six = await versions(client, "pypi-dev", "six")
    assert [(v["version"], v["yanked"]) for v in six["versions"]] == [
        ("1.15.0", None),
        ("1.16.0", ""),
    ]
    deprecated = await client.post(
        f"{API}/packages/npm-dev/@team/ui/1.0.0/yank", json={"reason": "use 1.1"}, headers=AUTH
    )
    assert deprecated.status_code == 200, deprecated.text
    assert (await versions(client, "npm-dev", "@team/ui"))["versions"][0]["yanked"] == "use 1.1"

    unknown = await client.post(f"{API}/packages/pypi-dev/six/9.9/yank", headers=AUTH)
    assert unknown.status_code == 404
    assert detail(unknown) == "no version 9.9 of package six in repository 'pypi-dev'"
    await create_user(client, "reader", "reader-password")
    await grant(client, "user:reader", ["pypi-dev"], ["read"])
    refused = await client.post(url, headers=basic("reader", "reader-password"))
    assert refused.status_code == 403, refused.text
    assert (await versions(client, "pypi-dev", "six"))["versions"][0]["yanked"] is None


async def test_deleting_a_version_needs_delete_and_a_repository_that_allows_it(
    client: httpx.AsyncClient, registry: Registry, repositories: None
) -> None:
    await create_user(client, "ci", "ci-password-1")
    await grant(client, "user:ci", ["pypi-dev"], ["read", "write"])
    url = f"{API}/packages/pypi-dev/six/1.16.0"
    refused = await client.delete(url, headers=basic("ci", "ci-password-1"))
    assert refused.status_code == 403, refused.text
    assert await shown_versions(client, "pypi-dev", "six") == ["1.15.0", "1.16.0"]

    locked = await client.patch(
        f"{API}/repositories/pypi-dev", json={"allowUnpublish": False}, headers=AUTH
    )
    assert locked.status_code == 200, locked.text
    refused = await client.delete(url, headers=AUTH)
    assert refused.status_code == 403, refused.text
    assert detail(refused) == (
        "repository 'pypi-dev' does not allow deleting package versions (setting "
        "allowUnpublish); an administrator may change that with `cargohold repo update "
        "pypi-dev --allow-unpublish`"
    )
    assert await shown_versions(client, "pypi-dev", "six") == ["1.15.0", "1.16.0"]

    await client.patch(f"{API}/repositories/pypi-dev", json={"allowUnpublish": True}, headers=AUTH)
    deleted = await client.delete(url, headers=AUTH)
    assert deleted.status_code == 200, deleted.text
    conform(deleted.json(), "PackagesDeleted")
    assert deleted.json() == {"repository": "pypi-dev", "name": "six", "versions": ["1.16.0"]}
    assert await shown_versions(client, "pypi-dev", "six") == ["1.15.0"]
    assert await registry.packages.files("pypi-dev", "six", "1.16.0") == []
    again = await client.delete(url, headers=AUTH)
    assert again.status_code == 404, again.text
    last = await client.delete(f"{API}/packages/pypi-dev/six/1.15.0", headers=AUTH)
    assert last.status_code == 200, last.text
    assert [p["name"] for p in (await get(client, "/packages/pypi-dev"))["items"]] == ["requests"]


async def test_promoting_a_version_copies_or_moves_it_by_metadata_and_records_it(
    client: httpx.AsyncClient, settings: Settings, repositories: None
) -> None:
    stored = blob_files(settings.blob_root)
    body = {"targetRepo": "pypi-prod", "name": "Six", "version": "1.16.0"}
    dry = await promote(client, "pypi-dev", body | {"dryRun": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["dryRun"] is True
    assert dry.json()["promotions"][0]["result"] == "dry-run"
    assert await shown_versions(client, "pypi-prod", "six") == []

    copied = await promote(
        client, "pypi-dev", body | {"properties": {"qa.status": "passed"}, "comment": "QA ok"}
    )
    assert copied.status_code == 200, copied.text
    result = copied.json()
    conform(result, "PackagePromotionResult")
    assert (result["sourceRepo"], result["targetRepo"], result["name"], result["version"]) == (
        "pypi-dev",
        "pypi-prod",
        "six",
        "1.16.0",
    )
    assert (result["copy"], result["dryRun"]) == (True, False)
    assert sorted(f["path"] for f in result["files"]) == [
        f"six/1.16.0/{WHEEL}",
        f"six/1.16.0/{SDIST}",
    ]
    assert result["messages"][0]["message"] == "six@1.16.0 copied to pypi-prod"
    prod = await versions(client, "pypi-prod", "six")
    assert [v["version"] for v in prod["versions"]] == ["1.16.0"]
    assert prod["versions"][0]["properties"] == {"qa.status": ["passed"]}
    assert sorted(f["sha256"] for f in prod["versions"][0]["files"]) == sorted(
        hashlib.sha256(data).hexdigest() for data in (b"six wheel", b"sdist")
    )
    assert await shown_versions(client, "pypi-dev", "six") == ["1.15.0", "1.16.0"]
    assert blob_files(settings.blob_root) == stored  # no byte copied

    same = await promote(client, "pypi-dev", body)
    assert same.status_code == 200, same.text
    assert same.json()["messages"][0]["message"] == (
        "six@1.16.0 is in pypi-prod already, with the same files: nothing to copy; recorded"
    )

    moved = await promote(
        client, "npm-dev", {"targetRepo": "npm-prod", "name": "@team/ui", "version": "1.1.0"}
    )
    assert moved.status_code == 404, moved.text  # no such target yet
    await create_repository(client, "npm-prod", "npm")
    ui = {"targetRepo": "npm-prod", "name": "@team/ui", "version": "1.1.0", "copy": False}
    moved = await promote(client, "npm-dev", ui)
    assert moved.status_code == 200, moved.text
    assert moved.json()["messages"][0]["message"] == "@team/ui@1.1.0 moved to npm-prod"
    assert await shown_versions(client, "npm-dev", "@team/ui") == ["1.0.0"]
    shown = await versions(client, "npm-prod", "@team/ui")
    assert [(v["version"], v["tags"]) for v in shown["versions"]] == [("1.1.0", ["next"])]

    records = await get(client, "/promotions", repository="pypi-prod")
    assert [
        (p["kind"], p["source"], p["target"], p["result"], p["dryRun"], p["comment"])
        for p in records["items"]
    ] == [
        ("package", "six@1.16.0", "six@1.16.0", "ok", False, ""),
        ("package", "six@1.16.0", "six@1.16.0", "ok", False, "QA ok"),
        ("package", "six@1.16.0", "six@1.16.0", "dry-run", True, ""),
    ]
    assert records["items"][1]["properties"] == {"qa.status": ["passed"]}
    npm_records = await get(client, "/promotions", repository="npm-prod")
    assert [(p["kind"], p["copy"], p["status"]) for p in npm_records["items"]] == [
        ("package", False, 200),
        ("package", True, 404),
    ]


async def test_promotions_that_cannot_be_are_refused_with_the_reason(
    client: httpx.AsyncClient, registry: Registry, repositories: None
) -> None:
    await publish(registry, "pypi-prod", "six", "1.16.0", {WHEEL: b"another six wheel"})
    body = {"targetRepo": "pypi-prod", "name": "six", "version": "1.16.0"}
    conflict = await promote(client, "pypi-dev", body)
    assert conflict.status_code == 409, conflict.text
    assert detail(conflict) == (
        "six 1.16.0 is in repository 'pypi-prod' already, with other files; delete it there "
        "first, or promote another version"
    )
    prod = await versions(client, "pypi-prod", "six")
    assert [f["filename"] for f in prod["versions"][0]["files"]] == [WHEEL]

    other_format = await promote(client, "pypi-dev", body | {"targetRepo": "npm-dev"})
    assert other_format.status_code == 400, other_format.text
    assert "holds npm, not pypi packages" in detail(other_format)
    docker = await promote(client, "dev", body)
    assert docker.status_code == 400, docker.text
    assert "holds docker, not packages" in detail(docker)
    unknown = await promote(client, "pypi-dev", body | {"version": "9.9"})
    assert unknown.status_code == 404, unknown.text
    assert detail(unknown) == "no version 9.9 of package six in repository 'pypi-dev'"
    nameless = await promote(client, "pypi-dev", {"targetRepo": "pypi-prod", "version": "1"})
    assert nameless.status_code == 400, nameless.text

    await create_repository(
        client, "pypi-org", "pypi", kind="remote", upstream="https://pypi.org/simple"
    )
    await create_repository(
        client, "pypi", "pypi", kind="virtual", members=["pypi-dev", "pypi-org"]
    )
    for target, kind in (("pypi-org", "remote"), ("pypi", "virtual")):
        refused = await promote(client, "pypi-dev", body | {"targetRepo": target})
        assert refused.status_code == 403, refused.text
        assert detail(refused).startswith(
            f"repository {target!r} is a {kind} repository: promote into a local repository"
        )

    await create_user(client, "dev", "dev-password-1")
    await grant(client, "user:dev", ["pypi-dev", "pypi-prod"], ["read", "write", "promote"])
    await client.delete(f"{API}/packages/pypi-prod/six/1.16.0", headers=AUTH)
    move = await promote(
        client, "pypi-dev", body | {"copy": False}, headers=basic("dev", "dev-password-1")
    )
    assert move.status_code == 403, move.text  # moving deletes from the source
    assert await shown_versions(client, "pypi-dev", "six") == ["1.15.0", "1.16.0"]
    copy = await promote(client, "pypi-dev", body, headers=basic("dev", "dev-password-1"))
    assert copy.status_code == 200, copy.text

    # Moving a version out of a repository that does not allow unpublishing would unpublish it.
    locked = await client.patch(
        f"{API}/repositories/pypi-dev", json={"allowUnpublish": False}, headers=AUTH
    )
    assert locked.status_code == 200, locked.text
    await client.delete(f"{API}/packages/pypi-prod/six/1.16.0", headers=AUTH)
    move = await promote(client, "pypi-dev", body | {"copy": False})
    assert move.status_code == 403, move.text
    assert detail(move) == (
        "repository 'pypi-dev' does not allow deleting package versions (setting "
        "allowUnpublish), so a version cannot be moved out of it: copy it instead"
    )
    assert await shown_versions(client, "pypi-dev", "six") == ["1.15.0", "1.16.0"]
    assert await shown_versions(client, "pypi-prod", "six") == []

    records = await get(client, "/promotions", repository="pypi-dev")
    assert [(p["status"], p["result"]) for p in records["items"]][:4] == [
        (403, "denied"),
        (200, "ok"),
        (403, "denied"),
        (403, "denied"),
    ]


async def test_a_policy_watching_the_target_blocks_a_vulnerable_version(
    client: httpx.AsyncClient, registry: Registry, repositories: None
) -> None:
    imported = await client.post(f"{API}/vulndb/import", json=ADVISORIES, headers=AUTH)
    assert imported.status_code == 200, imported.text
    published = await publish(registry, "pypi-dev", "urllib3", "1.26.5", {URLLIB3: wheel()})
    digest = published[0].file.digest
    await registry.scans.run(digest)
    await policy(client, "no-high", {"minSeverity": "HIGH"}, blockPromotion=True)
    await watch(client, "prod-gate", ["pypi-prod"], "no-high")

    body = {"targetRepo": "pypi-prod", "name": "urllib3", "version": "1.26.5"}
    refused = await promote(client, "pypi-dev", body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["policy"] == "no-high"
    assert refused.json()["advisory"] == HIGH
    assert "cannot be promoted to 'pypi-prod'" in detail(refused)
    assert await shown_versions(client, "pypi-prod", "urllib3") == []
    records = await get(client, "/promotions", repository="pypi-prod")
    assert [(p["kind"], p["status"], p["result"]) for p in records["items"]] == [
        ("package", 403, "denied")
    ]
    # The clean one still goes.
    clean = await promote(client, "pypi-dev", body | {"name": "six", "version": "1.16.0"})
    assert clean.status_code == 200, clean.text


async def test_where_used_finds_a_package_file_in_its_repository(
    client: httpx.AsyncClient, registry: Registry, repositories: None
) -> None:
    published = await publish(registry, "pypi-dev", "urllib3", "1.26.5", {URLLIB3: wheel()})
    digest = published[0].file.digest
    await registry.scans.run(digest)  # as the job publishing requested does
    found = await get(client, "/impact", purl="pkg:pypi/urllib3")
    assert [(i["digest"], i["component"]["version"]) for i in found["items"]] == [
        (digest, "1.26.5")
    ]
    assert found["items"][0]["locations"] == [
        {
            "type": "file",
            "repository": "pypi-dev",
            "path": f"urllib3/1.26.5/{URLLIB3}",
            "digest": digest,
        }
    ]
    searched = await get(client, "/search", digest=digest)
    assert [(i["type"], i["repository"], i["name"]) for i in searched["items"]] == [
        ("file", "pypi-dev", f"urllib3/1.26.5/{URLLIB3}")
    ]
    # Its scan and its vulnerabilities are asked for by the file's path, as for a generic
    # file (the package repository holds it at NAME/VERSION/FILENAME).
    scan = await get(client, "/scan", file=f"pypi-dev/urllib3/1.26.5/{URLLIB3}")
    assert (scan["digest"], scan["status"]) == (digest, "done")
    missing = await client.get(
        f"{API}/scan", params={"file": "pypi-dev/urllib3/9/x.whl"}, headers=AUTH
    )
    assert missing.status_code == 404
    assert "NAME/VERSION/FILENAME" in missing.json()["detail"]
