"""``CargoholdClient``: the REST API as Python calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class ClientError(Exception):
    """The server answered with a problem document (or could not be reached)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{message} (HTTP {status})" if status else message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Repository:
    key: str
    format: str
    kind: str
    anonymous_read: bool
    description: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Repository:
        return cls(
            key=doc["key"],
            format=doc["format"],
            kind=doc["kind"],
            anonymous_read=bool(doc.get("anonymousRead")),
            description=doc.get("description", ""),
        )


class CargoholdClient:
    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        auth = (username, password) if username and password is not None else None
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1", auth=auth, transport=transport, timeout=30
        )

    def __enter__(self) -> CargoholdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(0, f"cannot reach cargohold at {self._http.base_url}: {exc}") from exc
        if response.is_error:
            try:
                message = response.json().get("detail") or response.text
            except ValueError:
                message = response.text or response.reason_phrase
            raise ClientError(response.status_code, message)
        return response

    def health(self) -> bool:
        return bool(self._request("GET", "/health").json().get("status") == "ok")

    def list_repositories(self) -> list[Repository]:
        return [Repository.from_json(d) for d in self._request("GET", "/repositories").json()]

    def create_repository(
        self,
        key: str,
        format: str = "docker",
        kind: str = "local",
        anonymous_read: bool = False,
        description: str = "",
    ) -> Repository:
        body = {
            "key": key,
            "format": format,
            "kind": kind,
            "anonymousRead": anonymous_read,
            "description": description,
        }
        return Repository.from_json(self._request("POST", "/repositories", json=body).json())

    def delete_repository(self, key: str) -> None:
        self._request("DELETE", f"/repositories/{key}")


__all__ = ["CargoholdClient", "ClientError", "Repository"]
