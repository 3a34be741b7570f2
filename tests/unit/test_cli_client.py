"""The typed client through a fake transport: lists follow ``next`` cursors up to a limit,
problem documents become ``ClientError`` with the server's words, and a body that breaks the
contract is an ``UnexpectedResponse``, not a ``KeyError``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from cargohold.cli.times import Duration, Instant
from cargohold.client import CargoholdClient, ClientError, Scope, UnexpectedResponse

NAMES = [f"user{i:02}" for i in range(7)]


def user(name: str) -> dict[str, object]:
    return {
        "name": name,
        "admin": False,
        "service": False,
        "directory": False,
        "email": None,
        "created": "2026-11-26T10:00:00Z",
        "groups": [],
    }


def paged_users(seen: list[httpx.Request]) -> httpx.MockTransport:
    """``/users`` in pages of at most 3, whatever limit is asked for."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        limit = min(int(request.url.params["limit"]), 3)
        after = request.url.params.get("after")
        rest = [n for n in NAMES if after is None or n > after]
        page = rest[:limit]
        more = len(rest) > limit
        return httpx.Response(
            200, json={"items": [user(n) for n in page], "next": page[-1] if more else None}
        )

    return httpx.MockTransport(handle)


def test_a_list_follows_next_cursors_to_the_end() -> None:
    seen: list[httpx.Request] = []
    with CargoholdClient("http://x", transport=paged_users(seen)) as client:
        assert [u.name for u in client.users.list()] == NAMES
    assert [r.url.params.get("after") for r in seen] == [None, "user02", "user05"]


def test_a_list_stops_at_the_limit() -> None:
    seen: list[httpx.Request] = []
    with CargoholdClient("http://x", transport=paged_users(seen)) as client:
        assert [u.name for u in client.users.list(limit=4)] == NAMES[:4]
    assert [r.url.params["limit"] for r in seen] == ["4", "1"]


def test_a_problem_document_is_a_client_error_in_the_servers_words() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        problem = {"status": 409, "detail": "'admin' is the last administrator", "code": "X"}
        return httpx.Response(409, json=problem)

    with (
        CargoholdClient("http://x", transport=httpx.MockTransport(handle)) as client,
        pytest.raises(ClientError) as caught,
    ):
        client.users.delete("admin")
    assert str(caught.value) == "'admin' is the last administrator (HTTP 409)"
    assert caught.value.code == "X"


def test_a_body_that_breaks_the_contract_is_reported_as_such() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"name": "alice"})

    with (
        CargoholdClient("http://x", transport=httpx.MockTransport(handle)) as client,
        pytest.raises(UnexpectedResponse, match="unexpected object"),
    ):
        client.users.get("alice")


def test_requests_carry_the_credentials_and_the_contracts_body() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        token = {
            "id": "0123456789abcdef",
            "owner": "ci",
            "kind": "api",
            "description": body["description"],
            "scopes": body["scopes"],
            "created": "2026-11-26T10:00:00Z",
            "expires": None,
            "token": "chk_0123456789abcdef_secret",
        }
        return httpx.Response(201, json=token)

    transport = httpx.MockTransport(handle)
    with CargoholdClient("http://x/", token="chk_t", transport=transport) as client:
        new = client.tokens.create("CI", [Scope("dev", ("read", "write"))], owner="ci")
    assert new.secret == "chk_0123456789abcdef_secret"
    assert new.scopes == (Scope("dev", ("read", "write")),)
    assert new.to_json()["token"] == new.secret
    assert str(seen[0].url) == "http://x/api/v1/tokens"
    assert seen[0].headers["authorization"] == "Bearer chk_t"
    assert json.loads(seen[0].content) == {
        "description": "CI",
        "scopes": [{"repository": "dev", "actions": ["read", "write"]}],
        "owner": "ci",
    }


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("15m", 900), ("30d", 2592000)])
def test_durations(text: str, seconds: int) -> None:
    assert Duration().convert(text, None, None) == seconds


def test_instants_are_utc_and_a_duration_means_ago() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    instant = Instant(now=lambda: now)
    assert instant.convert("2h", None, None) == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert instant.convert("2026-11-26T10:00:00+02:00", None, None) == datetime(
        2026, 11, 26, 8, 0, tzinfo=UTC
    )
    assert instant.convert("2026-11-25", None, None) == datetime(2026, 11, 25, tzinfo=UTC)
