"""Pagination of every list: ``limit`` and ``after`` in, ``{"items", "next"}`` and a
``Link: <…>; rel="next"`` header out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from cargohold.core.errors import BadRequest
from cargohold.core.numbers import bounded_int

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

T = TypeVar("T")


def page_params(request: Request, max_cursor: int = 256) -> tuple[int, str | None]:
    """``limit`` and ``after``; ``max_cursor`` is the longest cursor this list hands out."""
    raw = request.query_params.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        value = bounded_int(raw, MAX_LIMIT)
        if value is None or value < 1:
            raise BadRequest(
                f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw[:20]!r}"
            )
        limit = value
    after = request.query_params.get("after") or None
    if after is not None and len(after) > max_cursor:
        raise BadRequest("after is not a cursor this server handed out")
    return limit, after


def numeric_cursor(after: str | None) -> int | None:
    """The position of a list whose cursor is a row number; a 400 for any other text."""
    if after is None:
        return None
    value = bounded_int(after)
    if value is None:
        raise BadRequest("after is not a cursor this server handed out")
    return value


def encode_cursor(key: Sequence[str | int | float]) -> str:
    """The opaque ``next`` of a list: the key of the last item shown, as base64url JSON."""
    text = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *shape: type) -> list[Any]:
    """The key ``encode_cursor`` made, if it has ``shape`` (one type per part; ``float``
    also takes a whole number); else a 400 saying it is not a cursor of this list."""
    invalid = BadRequest("after is not a cursor this server handed out")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid from exc
    if not isinstance(key, list) or len(key) != len(shape):
        raise invalid
    for part, kind in zip(key, shape, strict=True):
        allowed = (int, float) if kind is float else (kind,)
        if isinstance(part, bool) or not isinstance(part, allowed):
            raise invalid
    return key


def next_link(request: Request, limit: int, cursor: str) -> dict[str, str]:
    """The ``Link: <…>; rel="next"`` header of a page whose ``next`` is ``cursor``."""
    query = {k: v for k, v in request.query_params.items() if k not in ("after", "limit")}
    query.update(limit=str(limit), after=cursor)
    return {"Link": f'<{request.scope["path"]}?{urlencode(query)}>; rel="next"'}


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
    headers = next_link(request, limit, next_cursor) if next_cursor is not None else {}
    return JSONResponse({"items": [render(r) for r in shown], "next": next_cursor}, headers=headers)


def page_of(rows: Sequence[T], after: str | None, limit: int, key: Callable[[T], str]) -> list[T]:
    """The page of an in-memory list sorted by ``key``: the first ``limit + 1`` after ``after``."""
    return [r for r in rows if after is None or key(r) > after][: limit + 1]


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "page_of", "page_params", "page_response"]
