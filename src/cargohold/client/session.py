"""``RestSession``: one HTTP connection to ``/api/v1`` with credentials, problem documents
turned into ``ClientError``, answers decoded into their wire types, and lists read page by
page through their ``next`` cursors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from cargohold.client.errors import ClientError, ServerUnreachable, UnexpectedResponse
from cargohold.wire.base import Page

T = TypeVar("T")
MAX_PAGE = 1000  # the largest ``limit`` the API accepts


def segment(value: str) -> str:
    """A name as one path segment: ``a/b`` stays one name, not two."""
    return quote(value, safe="")


class RestSession:
    """Calls to one server as one caller: Basic (user with password or API token), Bearer
    (an API token alone), or anonymous when neither is given."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30,
    ) -> None:
        headers = {"Accept": "application/json"}
        auth: tuple[str, str] | None = None
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif username is not None and password is not None:
            auth = (username, password)
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url + "/api/v1",
            auth=auth,
            headers=headers,
            transport=transport,
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one); raises ClientError on a problem.
        ``content`` is sent as the raw body, typed ``content_type``, instead of ``body``."""
        response = self._send(method, path, body, params, content, content_type, timeout)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise UnexpectedResponse(
                response.status_code, f"{method} {path} answered with a body that is not JSON"
            ) from exc

    def call_object(
        self,
        method: str,
        path: str,
        kind: type[T],
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> T:
        """One API object, decoded into its wire type."""
        response = self._send(method, path, body, params, content, content_type, timeout)
        return _decode(response.content, kind, f"{method} {path}")

    def send_file(
        self,
        method: str,
        path: str,
        kind: type[T],
        content: Iterable[bytes],
        headers: dict[str, str],
        timeout: float | None = None,
    ) -> T:
        """Send ``content`` to ``path`` of a protocol's own (``/deb/...``, outside
        ``/api/v1``); its JSON answer as ``kind``."""
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = self._http.request(
                method, self.base_url + path, content=content, headers=headers, **extra
            )
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"cannot reach cargohold at {self.base_url}: {exc}") from exc
        if response.is_error:
            raise _problem(response)
        return _decode(response.content, kind, f"{method} {path}")

    def items(
        self,
        path: str,
        kind: type[T],
        params: dict[str, str] | None = None,
        limit: int | None = None,
    ) -> list[T]:
        """All items of a list, or the first ``limit``, following ``next`` cursors."""
        return list(self.iter_items(path, kind, params, limit))

    def iter_items(
        self,
        path: str,
        kind: type[T],
        params: dict[str, str] | None = None,
        limit: int | None = None,
    ) -> Iterator[T]:
        remaining = limit
        query = dict(params or {})
        while remaining is None or remaining > 0:
            query["limit"] = str(MAX_PAGE if remaining is None else min(remaining, MAX_PAGE))
            response = self._send("GET", path, None, query, None, None, None)
            page = _decode(response.content, Page[kind], f"GET {path}")  # type: ignore[valid-type]
            yield from page.items[:remaining]
            if remaining is not None:
                remaining -= len(page.items)
            if not page.next or not page.items or page.next == query.get("after"):
                return  # the last page (or a server that would send us round in circles)
            query["after"] = page.next

    def _send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        params: dict[str, str] | None,
        content: bytes | None,
        content_type: str | None,
        timeout: float | None,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else None
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = self._http.request(
                method, path, json=body, params=params, content=content, headers=headers, **extra
            )
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"cannot reach cargohold at {self.base_url}: {exc}") from exc
        if response.is_error:
            raise _problem(response)
        return response


def _problem(response: httpx.Response) -> ClientError:
    """The server's own words for an error: the problem document's ``detail``."""
    code: str | None = None
    message = ""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        message = str(doc.get("detail") or doc.get("title") or "")
        code = doc.get("code") if isinstance(doc.get("code"), str) else None
    if not message:
        message = response.text.strip()[:500] or response.reason_phrase
    return ClientError(response.status_code, message, code)


def _decode(content: bytes, kind: type[T], what: str) -> T:
    """The answer as its wire type; anything else breaks the contract."""
    try:
        return msgspec.json.decode(content, type=kind)
    except msgspec.DecodeError as exc:
        raise UnexpectedResponse(200, f"{what} answered with an unexpected object: {exc}") from exc


__all__ = ["MAX_PAGE", "RestSession", "segment"]
