"""Pagination of every list: ``limit`` and ``after`` in, ``{"items", "next"}`` and a
``Link: <…>; rel="next"`` header out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from cargohold.core.errors import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

T = TypeVar("T")


def page_params(request: Request, max_cursor: int = 256) -> tuple[int, str | None]:
    """``limit`` and ``after``; ``max_cursor`` is the longest cursor this list hands out."""
    raw = request.query_params.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        if not raw.isdigit() or not 1 <= int(raw[:6]) <= MAX_LIMIT:
            raise BadRequest(
                f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw[:20]!r}"
            )
        limit = int(raw)
    after = request.query_params.get("after") or None
    if after is not None and len(after) > max_cursor:
        raise BadRequest("after is not a cursor this server handed out")
    return limit, after


def page_response(
    request: Request,
    rows: Sequence[T],
    limit: int,
    render: Callable[[T], dict[str, Any]],
    cursor: Callable[[T], str],
) -> JSONResponse:
    """``rows`` holds up to ``limit + 1`` entries: one more than fits says there is a next page."""
    shown = rows[:limit]
    next_cursor = cursor(shown[-1]) if len(rows) > limit and shown else None
    headers = {}
    if next_cursor is not None:
        query = {k: v for k, v in request.query_params.items() if k not in ("after", "limit")}
        query.update(limit=str(limit), after=next_cursor)
        path = request.scope["path"]
        headers["Link"] = f'<{path}?{urlencode(query)}>; rel="next"'
    return JSONResponse({"items": [render(r) for r in shown], "next": next_cursor}, headers=headers)


def page_of(rows: Sequence[T], after: str | None, limit: int, key: Callable[[T], str]) -> list[T]:
    """The page of an in-memory list sorted by ``key``: the first ``limit + 1`` after ``after``."""
    return [r for r in rows if after is None or key(r) > after][: limit + 1]


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "page_of", "page_params", "page_response"]
