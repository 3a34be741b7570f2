"""Search and build info as the REST API renders them fit the OpenAPI schemas; build
documents are checked field by field; search cursors survive the round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cargohold.api.rest.builds import build_wire, detail_wire, promoted_wire
from cargohold.api.rest.pages import LONG_CURSOR, Cursor
from cargohold.api.rest.search import After, search_wire
from cargohold.cli.output import size_text
from cargohold.client import CargoholdClient
from cargohold.core.errors import BadRequest
from cargohold.records.lifecycle import BuildStatusRecord
from cargohold.records.search import SearchHit, SearchPosition
from cargohold.registry.lifecycle.build_promotion import BuildPromoted, PromotedArtifact
from cargohold.registry.lifecycle.builds import Build, parse_build, parse_started
from tests.unit.test_openapi import conform, misfits

NOW = 1_795_000_000.0
DIGEST = "sha256:" + "a" * 64
MODULES: list[Any] = [
    {
        "id": "web",
        "artifacts": [
            {"type": "docker", "repository": "dev", "name": "team/web", "digest": DIGEST},
            {"type": "generic", "repository": "files", "name": "web/1.tgz", "digest": DIGEST},
        ],
        "dependencies": [{"id": "python:3.12", "digest": DIGEST}],
    }
]


def test_search_items_fit_the_schema() -> None:
    image = SearchHit("image", "dev", "team/app", DIGEST, 1234, NOW, NOW + 60, ("1.0", "latest"))
    conform(search_wire(image).to_json(), "SearchItem")
    path = "releases/web/1.0/web.tgz"
    found = SearchHit("file", "files", path, DIGEST, 5, NOW, NOW, (), {"build.name": ["web"]})
    conform(search_wire(found).to_json(), "SearchItem")
    assert misfits(search_wire(image).to_json() | {"type": "package"}, "SearchItem") != []


@pytest.mark.parametrize(
    "hit",
    [
        SearchHit("image", "dev", "team/app", DIGEST, 1, NOW, NOW),
        # the longest path, of 4-byte characters
        SearchHit("file", "files", "a/" + "\U0001f4e6" * 1018 + ".tgz", DIGEST, 1, NOW, NOW),
    ],
)
def test_a_cursor_is_the_position_of_the_last_item(hit: SearchHit) -> None:
    cursor = Cursor.encode(After(hit.repository, hit.name, hit.digest))
    after = Cursor.decode(cursor, After)
    assert SearchPosition(after.repository, after.name, after.digest) == hit.position
    assert len(cursor) <= LONG_CURSOR


@pytest.mark.parametrize("cursor", ["x", "W10", "WzEsMiwzXQ", "e30", "a" * 9000])
def test_a_cursor_the_server_did_not_hand_out_is_400(cursor: str) -> None:
    with pytest.raises(BadRequest, match="cursor"):
        Cursor.decode(cursor, After)


def test_builds_fit_the_schemas() -> None:
    info = parse_build("web", "7", NOW, "https://ci/7", {"vcs.revision": "abc"}, MODULES)
    build = Build(info, NOW, "ci", (BuildStatusRecord(NOW, "staging", "ok", "staging", "ci"),))
    conform(build_wire(build).to_json(), "Build")
    conform(detail_wire(build).to_json(), "BuildDetail")
    assert build_wire(build).to_json()["properties"] == {"vcs.revision": ["abc"]}
    artifact = PromotedArtifact("docker", "staging", "team/web", DIGEST, ("1.0",))
    promoted = BuildPromoted("web", "7", "staging", True, False, (artifact,), ())
    conform(promoted_wire(promoted, "staging").to_json(), "BuildPromotionResult")


def test_the_build_info_round_trips() -> None:
    info = parse_build("web", "7", NOW, "", {}, MODULES)
    document = info.document()
    again = parse_build(
        document["name"],
        document["number"],
        parse_started(document["started"]),
        document["url"],
        document["properties"],
        document["modules"],
    )
    assert again == info
    assert info.repositories == ["dev", "files"]
    conform(document, "BuildCreate")


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        ({"name": "web", "number": "7", "started": "2026-11-26T10:00:00Z"}, "BuildCreate"),
        ({"targetRepo": "staging"}, "BuildPromotion"),
        (
            {
                "targetRepo": "prod",
                "targetRepos": {"generic": "files-prod"},
                "status": "released",
                "comment": "go",
                "copy": True,
                "dryRun": True,
                "properties": {"qa.status": "passed"},
            },
            "BuildPromotion",
        ),
    ],
)
def test_the_bodies_the_server_accepts_validate(body: dict[str, Any], schema: str) -> None:
    conform(body, schema)


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        ({"name": "web", "number": "7"}, "BuildCreate"),
        ({"name": "a/b", "number": "7", "started": "2026-11-26T10:00:00Z"}, "BuildCreate"),
        ({"targetRepo": "x", "targetRepos": {"npm": "y"}}, "BuildPromotion"),
        ({"status": "x"}, "BuildPromotion"),
    ],
)
def test_the_bodies_the_server_refuses_do_not_validate(body: dict[str, Any], schema: str) -> None:
    assert misfits(body, schema) != []


@pytest.mark.parametrize(
    ("name", "number", "modules", "words"),
    [
        ("", "7", [], "'name'"),
        ("web", "7/8", [], "'number'"),
        ("web", "7", [{"id": "m", "artifacts": "x"}], "modules[0].artifacts must be a list"),
        ("web", "7", ["m"], "modules[0] must be an object"),
        (
            "web",
            "7",
            [{"id": "m", "artifacts": [{"type": "docker", "repository": "dev", "name": "App"}]}],
            "modules[0].artifacts[0].digest",
        ),
        (
            "web",
            "7",
            [
                {
                    "id": "m",
                    "artifacts": [
                        {"type": "generic", "repository": "f", "name": "a", "digest": DIGEST}
                        | {"tag": "1.0"}
                    ],
                }
            ],
            "a generic file has no tag",
        ),
        (
            "web",
            "7",
            [
                {
                    "id": "m",
                    "artifacts": [
                        {"type": "generic", "repository": "f", "name": "../a", "digest": DIGEST}
                    ],
                }
            ],
            "must be a file path",
        ),
    ],
)
def test_a_malformed_build_names_the_field(
    name: str, number: str, modules: list[Any], words: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_build(name, number, NOW, "", {}, modules)
    assert words in caught.value.message


def test_the_client_sends_every_filter_and_reads_the_items() -> None:
    seen: list[httpx.Request] = []
    hit = SearchHit("image", "dev", "team/app", DIGEST, 1, NOW, NOW, ("1.0",))
    item = search_wire(hit).to_json()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [item], "next": None})

    since = datetime(2026, 11, 1, tzinfo=UTC)
    with CargoholdClient("http://x", transport=httpx.MockTransport(handle)) as client:
        found = client.search.find(
            repositories=["dev", "prod"],
            name="team/*",
            tag="1.0",
            properties=["build.name=web", "qa.status=passed"],
            created_after=since,
            type="image",
            limit=10,
        )
    assert [(i.repository, i.name, i.tags) for i in found] == [("dev", "team/app", ("1.0",))]
    assert found[0].to_json() == item
    params = seen[0].url.params
    assert params.get_list("property") == ["build.name=web", "qa.status=passed"]
    assert (params["repository"], params["name"], params["tag"], params["type"]) == (
        "dev,prod",
        "team/*",
        "1.0",
        "image",
    )
    assert (params["created_after"], params["limit"]) == ("2026-11-01T00:00:00Z", "10")


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * 2**30, "5.0 GiB")]
)
def test_sizes_read_like_a_person_would_write_them(size: int, text: str) -> None:
    assert size_text(size) == text
