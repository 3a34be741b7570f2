"""Errors a person can trace: an id on every response, one log line per internal error with
that id, and nothing of the server's insides in what the client reads."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from cargohold.registry.registry import Registry
from tests.integration.conftest import AUTH

pytestmark = pytest.mark.anyio
SECRET_PATH = "/srv/cargohold/internal/state.db"


@pytest.fixture
def broken(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug anywhere below the protocols: every lookup of a repository fails."""

    async def fails(*args: object, **kwargs: object) -> object:
        raise RuntimeError(f"disk I/O error on {SECRET_PATH}")

    monkeypatch.setattr(registry.repositories, "all", fails)
    monkeypatch.setattr(registry.repositories, "for_image", fails)
    monkeypatch.setattr(registry.generic, "lookup", fails)


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    ids = set()
    for path in ("/v2/", "/api/v1/health", "/generic/dev/x", "/nowhere"):
        response = await client.get(path)
        assert re.fullmatch(r"[0-9a-f]{24}", response.headers["X-Request-Id"])
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        ids.add(response.headers["X-Request-Id"])
    assert len(ids) == 4


async def test_a_proxys_request_id_is_kept_if_plain(client: httpx.AsyncClient) -> None:
    kept = await client.get("/v2/", headers={"X-Request-Id": "proxy-1234-abcd"})
    assert kept.headers["X-Request-Id"] == "proxy-1234-abcd"
    replaced = await client.get("/v2/", headers={"X-Request-Id": "x; DROP TABLE"})
    assert replaced.headers["X-Request-Id"] != "x; DROP TABLE"


async def test_rest_answers_are_not_for_shared_caches(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/webhooks"):
        response = await client.get(path, headers=AUTH)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.usefixtures("broken")
@pytest.mark.parametrize(
    ("path", "protocol"),
    [
        ("/api/v1/repositories", "rest"),
        ("/v2/dev/app/manifests/1", "oci"),
        ("/generic/dev/some/file.txt", "generic"),
    ],
)
async def test_an_internal_error_is_one_log_line_and_an_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, path: str, protocol: str
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.get(path, headers=AUTH)
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    text = response.text
    assert f"request id {request_id}" in text
    assert "Traceback" not in text
    assert SECRET_PATH not in text
    assert "RuntimeError" not in text
    if protocol == "rest":
        assert response.headers["content-type"].startswith("application/problem+json")
    elif protocol == "oci":
        assert response.json()["errors"][0]["code"] == "UNKNOWN"
    else:
        assert response.json()["errors"][0]["status"] == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "\n" not in line
    assert errors[0].exc_info is None
    assert f"request_id={request_id}" in line
    assert "RuntimeError" in line
    assert SECRET_PATH in line  # the operator sees it, the client does not
