"""Accounts for the integration tests, made through the REST API as an admin would."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.integration.conftest import AUTH


def basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_user(
    client: httpx.AsyncClient,
    name: str,
    password: str | None = "password-of-" + "user",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, **extra}
    if password is not None:
        body["password"] = password
    response = await client.post("/api/v1/users", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def grant(
    client: httpx.AsyncClient, principal: str, repositories: list[str], actions: list[str]
) -> str:
    response = await client.post(
        "/api/v1/permissions",
        json={"principal": principal, "repositories": repositories, "actions": actions},
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    permission_id: str = response.json()["id"]
    return permission_id


async def create_token(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/tokens", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def registry_token(
    client: httpx.AsyncClient, scope: str, headers: dict[str, str] | None = None
) -> str:
    response = await client.get(
        "/v2/token", params={"service": "cargohold", "scope": scope}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token
