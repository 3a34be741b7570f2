"""``GET /api/v1/search``: every filter with its exact results, pagination, and a caller finds
only what is in repositories it may read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.meta.lifecycle.search import queries
from cargohold.meta.schema import generic_files, manifests, tags
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.images import Image, make_image, sha256
from tests.integration.accounts import basic, create_user, grant
from tests.integration.conftest import AUTH, PASSWORD
from tests.integration.generic import create_generic, deploy
from tests.integration.oci import push_image

pytestmark = pytest.mark.anyio

DAY = 86400.0
T0 = 1_790_000_000.0  # 2026-09-21T13:33:20Z


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class World:
    app1: str  # dev/team/app:1.0 and staging/team/app:1.0
    app2: str  # dev/team/app:1.1 and :latest
    web: str  # dev/team/web:1.0
    tool: str  # prod/other/tool:2.0
    app_file: str  # files-dev/releases/app/1.0/app.tgz
    web_file: str  # files-dev/releases/web/1.0/web.tgz
    sizes: dict[str, int]


def image(label: str) -> Image:
    return make_image([{f"/{label}": label.encode() * 10}], label=label)


async def put_properties(
    client: httpx.AsyncClient, values: dict[str, list[str]], **artifact: str
) -> None:
    response = await client.put(
        "/api/v1/properties", params=artifact, json={"properties": values}, headers=AUTH
    )
    assert response.status_code == 200, response.text


# Every test here only reads the same world: build it once for the module.


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("search") / "data", admin_password=PASSWORD)


@pytest.fixture(scope="module")
def registry(settings: Settings) -> Iterator[Registry]:
    prepare(settings)
    store, meta = open_stores(settings, migrate=False)
    meta.repositories.update("dev", {"anonymous_read": True})
    yield build_registry(settings, store, meta)
    meta.close()


@pytest.fixture(scope="module")
async def client(registry: Registry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(registry))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        yield http


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, settings: Settings) -> World:
    """Images in dev, staging and prod, files in files-dev, properties on a digest, a tag
    and files, and creation and change times set day by day from T0."""
    images = {label: image(label) for label in ("app1", "app2", "web", "tool")}
    app1 = await push_image(client, "dev/team/app", "1.0", images["app1"])
    app2 = await push_image(client, "dev/team/app", "1.1", images["app2"])
    await push_image(client, "dev/team/app", "latest", images["app2"])
    web = await push_image(client, "dev/team/web", "1.0", images["web"])
    await push_image(client, "staging/team/app", "1.0", images["app1"])
    tool = await push_image(client, "prod/other/tool", "2.0", images["tool"])
    await create_generic(client, "files-dev")
    await deploy(
        client, "files-dev", "releases/app/1.0/app.tgz;build.name=app;build.number=1", b"app"
    )
    await deploy(client, "files-dev", "releases/web/1.0/web.tgz;build.name=web", b"web!")
    await put_properties(
        client,
        {"build.name": ["app"], "qa.status": ["passed"]},
        repository="dev",
        image="team/app",
        digest=app1,
    )
    await put_properties(
        client, {"build.name": ["web"]}, repository="dev", image="team/web", tag="1.0"
    )
    engine = sa.create_engine(settings.database)
    with engine.begin() as connection:
        days = {
            ("dev", "team/app", app1): 0,
            ("dev", "team/app", app2): 1,
            ("dev", "team/web", web): 2,
            ("staging", "team/app", app1): 3,
            ("prod", "other/tool", tool): 4,
        }
        for (repository, name, digest), day in days.items():
            where = (
                (manifests.c.repository == repository)
                & (manifests.c.name == name)
                & (manifests.c.digest == digest)
            )
            connection.execute(manifests.update().where(where).values(created_at=T0 + day * DAY))
            tagged = (tags.c.repository == repository) & (tags.c.name == name)
            connection.execute(
                tags.update()
                .where(tagged & (tags.c.digest == digest))
                .values(updated_at=T0 + day * DAY)
            )
        # The latest tag moved to app2 on day 10.
        connection.execute(
            tags.update().where(tags.c.tag == "latest").values(updated_at=T0 + 10 * DAY)
        )
        for path, day in (("releases/app/1.0/app.tgz", 5), ("releases/web/1.0/web.tgz", 6)):
            connection.execute(
                generic_files.update()
                .where(generic_files.c.path == path)
                .values(created_at=T0 + day * DAY, updated_at=T0 + (day + 1) * DAY)
            )
    engine.dispose()
    sizes = {
        sha256(i.manifest): len(i.manifest) + sum(len(b) for b in i.blobs) for i in images.values()
    }
    return World(app1, app2, web, tool, sha256(b"app"), sha256(b"web!"), sizes)


@pytest.fixture(params=["by key", "by property"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways of reading a page with a property filter: walking the keys and checking the
    property on each, or reading the property's holders first."""
    monkeypatch.setattr(queries, "DRIVE_LIMIT", 0 if request.param == "by key" else 2000)
    yield request.param


async def search(
    client: httpx.AsyncClient, headers: dict[str, str] | None = AUTH, /, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [f"{i['type']} {i['repository']}/{i['name']}@{i['digest']}" for i in items]


def img(world: World, where: str, which: str) -> str:
    return f"image {where}@{getattr(world, which)}"


def file(world: World, path: str, which: str) -> str:
    return f"file files-dev/{path}@{getattr(world, which)}"


async def test_every_item_in_key_order_with_its_tags_size_times_and_properties(
    client: httpx.AsyncClient, world: World
) -> None:
    items = await search(client)
    expected = sorted(
        [
            ("dev", "team/app", world.app1),
            ("dev", "team/app", world.app2),
            ("dev", "team/web", world.web),
            ("files-dev", "releases/app/1.0/app.tgz", world.app_file),
            ("files-dev", "releases/web/1.0/web.tgz", world.web_file),
            ("prod", "other/tool", world.tool),
            ("staging", "team/app", world.app1),
        ]
    )
    assert [(i["repository"], i["name"], i["digest"]) for i in items] == expected
    found = {(i["repository"], i["name"], i["digest"]): i for i in items}
    assert found[("dev", "team/app", world.app1)] == {
        "type": "image",
        "repository": "dev",
        "name": "team/app",
        "digest": world.app1,
        "tags": ["1.0"],
        "size": world.sizes[world.app1],
        "created": rfc3339(T0),
        "modified": rfc3339(T0),
        "properties": {"build.name": ["app"], "qa.status": ["passed"]},
    }
    app2 = found[("dev", "team/app", world.app2)]
    assert app2["tags"] == ["1.1", "latest"]
    assert (app2["created"], app2["modified"]) == (rfc3339(T0 + DAY), rfc3339(T0 + 10 * DAY))
    assert app2["properties"] == {}
    # A property on a tag belongs to the image the tag points to.
    assert found[("dev", "team/web", world.web)]["properties"] == {"build.name": ["web"]}
    assert found[("files-dev", "releases/app/1.0/app.tgz", world.app_file)] == {
        "type": "file",
        "repository": "files-dev",
        "name": "releases/app/1.0/app.tgz",
        "digest": world.app_file,
        "tags": [],
        "size": 3,
        "created": rfc3339(T0 + 5 * DAY),
        "modified": rfc3339(T0 + 6 * DAY),
        "properties": {"build.name": ["app"], "build.number": ["1"]},
    }


async def test_by_repository(client: httpx.AsyncClient, world: World) -> None:
    dev = [
        img(world, "dev/team/app", "app1"),
        img(world, "dev/team/app", "app2"),
        img(world, "dev/team/web", "web"),
    ]
    assert keys(await search(client, repository="dev")) == sorted(dev)
    files = [
        file(world, "releases/app/1.0/app.tgz", "app_file"),
        file(world, "releases/web/1.0/web.tgz", "web_file"),
    ]
    both = sorted(dev) + files
    assert keys(await search(client, repository="dev,files-dev")) == both
    assert keys(await search(client, repository=["files-dev", "dev"])) == both
    assert await search(client, repository="nope") == []


async def test_by_name_glob_over_images_and_paths(client: httpx.AsyncClient, world: World) -> None:
    app = sorted([img(world, "dev/team/app", "app1"), img(world, "dev/team/app", "app2")])
    assert keys(await search(client, name="team/app")) == [
        *app,
        img(world, "staging/team/app", "app1"),
    ]
    assert keys(await search(client, name="team/*", repository="dev")) == sorted(
        [*app, img(world, "dev/team/web", "web")]
    )
    assert keys(await search(client, name="*/t??l")) == [img(world, "prod/other/tool", "tool")]
    assert keys(await search(client, name="releases/*/1.0/w*.tgz")) == [
        file(world, "releases/web/1.0/web.tgz", "web_file")
    ]
    # `*` crosses folders; the rest is literal and case-sensitive.
    assert len(await search(client, name="*.tgz")) == 2
    assert await search(client, name="Team/*") == []
    assert await search(client, name="team/app%") == []
    assert await search(client, name="team/[a]pp") == []


async def test_by_tag(client: httpx.AsyncClient, world: World) -> None:
    assert keys(await search(client, tag="1.0")) == [
        img(world, "dev/team/app", "app1"),
        img(world, "dev/team/web", "web"),
        img(world, "staging/team/app", "app1"),
    ]
    assert keys(await search(client, tag="latest")) == [img(world, "dev/team/app", "app2")]
    assert keys(await search(client, tag="1.0", repository="staging")) == [
        img(world, "staging/team/app", "app1")
    ]
    assert await search(client, tag="1.0", type="file") == []
    assert await search(client, tag="9.9") == []


async def test_by_digest(client: httpx.AsyncClient, world: World) -> None:
    assert keys(await search(client, digest=world.app1)) == [
        img(world, "dev/team/app", "app1"),
        img(world, "staging/team/app", "app1"),
    ]
    assert keys(await search(client, digest=world.web_file)) == [
        file(world, "releases/web/1.0/web.tgz", "web_file")
    ]
    assert await search(client, digest="sha256:" + "0" * 64) == []


async def test_by_properties_on_digests_tags_and_files(
    client: httpx.AsyncClient, world: World, plan: str
) -> None:
    assert keys(await search(client, property="build.name=app")) == [
        img(world, "dev/team/app", "app1"),
        file(world, "releases/app/1.0/app.tgz", "app_file"),
    ]
    assert keys(await search(client, property="build.name=web")) == [
        img(world, "dev/team/web", "web"),  # the property is on its tag 1.0
        file(world, "releases/web/1.0/web.tgz", "web_file"),
    ]
    # Every property given must hold.
    both = ["build.name=app", "qa.status=passed"]
    assert keys(await search(client, property=both)) == [img(world, "dev/team/app", "app1")]
    assert keys(await search(client, property=["build.name=app", "build.number=1"])) == [
        file(world, "releases/app/1.0/app.tgz", "app_file")
    ]
    assert await search(client, property=["build.name=app", "build.name=web"]) == []
    assert await search(client, property="build.name=") == []
    # A property found with a tag: the image must have both.
    assert keys(await search(client, property="build.name=web", tag="1.0")) == [
        img(world, "dev/team/web", "web")
    ]
    assert await search(client, property="build.name=web", tag="latest") == []
    # Promoted images do not take properties of the copy they came from.
    assert await search(client, property="qa.status=passed", repository="staging") == []


async def test_by_created_and_modified_time(client: httpx.AsyncClient, world: World) -> None:
    between = {"created_after": rfc3339(T0 + DAY), "created_before": rfc3339(T0 + 3 * DAY)}
    assert keys(await search(client, **between)) == [
        img(world, "dev/team/app", "app2"),
        img(world, "dev/team/web", "web"),
    ]
    assert keys(await search(client, created_after=rfc3339(T0 + 4 * DAY))) == [
        file(world, "releases/app/1.0/app.tgz", "app_file"),
        file(world, "releases/web/1.0/web.tgz", "web_file"),
        img(world, "prod/other/tool", "tool"),
    ]
    # Moving the latest tag on day 10 changed app2; replacing a file changes it.
    assert keys(await search(client, modified_after=rfc3339(T0 + 7 * DAY))) == [
        img(world, "dev/team/app", "app2"),
        file(world, "releases/web/1.0/web.tgz", "web_file"),
    ]
    before = {"modified_before": rfc3339(T0 + 2 * DAY)}
    assert keys(await search(client, **before)) == [img(world, "dev/team/app", "app1")]
    window = {"modified_after": rfc3339(T0 + 3 * DAY), "modified_before": rfc3339(T0 + 7 * DAY)}
    assert keys(await search(client, **window)) == [
        file(world, "releases/app/1.0/app.tgz", "app_file"),
        img(world, "prod/other/tool", "tool"),
        img(world, "staging/team/app", "app1"),
    ]


async def test_by_type(client: httpx.AsyncClient, world: World) -> None:
    assert {i["type"] for i in await search(client, type="image")} == {"image"}
    assert len(await search(client, type="image")) == 5
    assert keys(await search(client, type="file")) == [
        file(world, "releases/app/1.0/app.tgz", "app_file"),
        file(world, "releases/web/1.0/web.tgz", "web_file"),
    ]


async def test_pages_follow_the_cursor_and_the_link(
    client: httpx.AsyncClient, world: World
) -> None:
    everything = keys(await search(client))
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    pages = 0
    while True:
        response = await client.get("/api/v1/search", params=params, headers=AUTH)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += keys(page["items"])
        pages += 1
        if page["next"] is None:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"] == (
            f'</api/v1/search?limit=2&after={page["next"]}>; rel="next"'
        )
        params["after"] = page["next"]
    assert seen == everything
    assert pages == 4
    # Filters carry over to the next page.
    first = await client.get(
        "/api/v1/search", params={"name": "team/*", "limit": "1"}, headers=AUTH
    )
    link = first.headers["Link"]
    assert link.startswith("</api/v1/search?name=team%2F%2A&limit=1&after=")
    following = await client.get(link[1 : link.index(">")], headers=AUTH)
    assert keys(following.json()["items"]) == keys(await search(client, name="team/*"))[1:2]


async def test_only_what_the_caller_may_read(client: httpx.AsyncClient, world: World) -> None:
    # dev allows anonymous reads (the tests' fixture), nothing else does.
    anonymous = await search(client, None)
    assert {i["repository"] for i in anonymous} == {"dev"}
    await create_user(client, "qa", "password-of-qa")
    await grant(client, "user:qa", ["staging", "files-*"], ["read"])
    qa = basic("qa", "password-of-qa")
    assert {i["repository"] for i in await search(client, qa)} == {"dev", "files-dev", "staging"}
    assert keys(await search(client, qa, digest=world.app1)) == [
        img(world, "dev/team/app", "app1"),
        img(world, "staging/team/app", "app1"),
    ]
    # Asking for a repository the caller may not read finds nothing in it.
    assert await search(client, qa, repository="prod") == []
    assert await search(client, qa, tag="2.0") == []
    assert len(await search(client, AUTH, tag="2.0")) == 1
    wrong = await client.get("/api/v1/search", headers=basic("qa", "wrong-password"))
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"type": "package"}, "type must be one of"),
        ({"property": "build.name"}, "not KEY=VALUE"),
        ({"property": "bad key=1"}, "KEY=VALUE"),
        ({"created_after": "yesterday"}, "RFC 3339"),
        ({"digest": "sha256:short"}, "digest"),
        ({"after": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"nmae": "team/*"}, "unknown search parameter 'nmae'"),
    ],
)
async def test_bad_filters_are_400_with_the_reason(
    client: httpx.AsyncClient, params: dict[str, str], words: str
) -> None:
    response = await client.get("/api/v1/search", params=params, headers=AUTH)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert words in json.loads(response.content)["detail"]
