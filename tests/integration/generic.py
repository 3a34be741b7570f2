"""Generic repositories for the integration tests, made as an admin would, and what a
client checks of a file it got back."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx

from tests.integration.conftest import AUTH


async def create_generic(
    client: httpx.AsyncClient, key: str, *, anonymous_read: bool = False
) -> None:
    response = await client.post(
        "/api/v1/repositories",
        json={"key": key, "format": "generic", "anonymousRead": anonymous_read},
        headers=AUTH,
    )
    assert response.status_code == 201, response.text


async def deploy(
    client: httpx.AsyncClient,
    repository: str,
    path: str,
    data: bytes,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.put(
        f"/generic/{repository}/{path}", content=data, headers={**AUTH, **(headers or {})}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def sums(data: bytes) -> dict[str, str]:
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
    }


def message(response: httpx.Response) -> str:
    """The one error of an Artifactory-shaped error body, checked for shape."""
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["status"] == response.status_code
    text: str = errors[0]["message"]
    assert text
    return text


def blob_files(blob_root: Path) -> list[Path]:
    """Every blob the filesystem store holds."""
    return sorted(p for p in (blob_root / "blobs").rglob("*") if p.is_file())


def staged_uploads(blob_root: Path) -> list[Path]:
    """Upload staging files left behind."""
    return sorted(p for p in (blob_root / "uploads").iterdir() if p.is_file())


__all__ = ["blob_files", "create_generic", "deploy", "message", "staged_uploads", "sums"]
