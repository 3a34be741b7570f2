"""``RestSession``: one HTTP connection to ``/api/v1`` with credentials, problem documents
turned into ``ClientError``, and lists read page by page through their ``next`` cursors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from cargohold.client.errors import ClientError, ServerUnreachable, UnexpectedResponse

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
        decode: Callable[[dict[str, Any]], T],
        *,
        body: dict[str, Any] | None = None,
    ) -> T:
        """One API object, decoded into its typed value."""
        return _decode(decode, self.call(method, path, body=body), f"{method} {path}")

    def items(
        self,
        path: str,
        decode: Callable[[dict[str, Any]], T],
        params: dict[str, str] | None = None,
        limit: int | None = None,
    ) -> list[T]:
        """All items of a list, or the first ``limit``, following ``next`` cursors."""
        return list(self.iter_items(path, decode, params, limit))

    def iter_items(
        self,
        path: str,
        decode: Callable[[dict[str, Any]], T],
        params: dict[str, str] | None = None,
        limit: int | None = None,
    ) -> Iterator[T]:
        remaining = limit
        query = dict(params or {})
        while remaining is None or remaining > 0:
            query["limit"] = str(MAX_PAGE if remaining is None else min(remaining, MAX_PAGE))
            page = self.call("GET", path, params=query)
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise UnexpectedResponse(200, f"GET {path} did not answer with a list page")
            items: list[Any] = page["items"]
            for doc in items[:remaining]:
                yield _decode(decode, doc, f"GET {path}")
            if remaining is not None:
                remaining -= len(items)
            cursor = page.get("next")
            if not cursor or not items or str(cursor) == query.get("after"):
                return  # the last page (or a server that would send us round in circles)
            query["after"] = str(cursor)


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


def _decode(decode: Callable[[dict[str, Any]], T], doc: Any, what: str) -> T:
    if not isinstance(doc, dict):
        raise UnexpectedResponse(200, f"{what} did not answer with a JSON object")
    try:
        return decode(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnexpectedResponse(200, f"{what} answered with an unexpected object: {exc}") from exc


__all__ = ["MAX_PAGE", "RestSession", "segment"]
