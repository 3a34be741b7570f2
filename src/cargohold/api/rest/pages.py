"""Pagination of every list: ``limit`` and ``after`` in, ``{"items", "next"}`` and a
``Link: <…>; rel="next"`` header out, with one cursor for every list.

A cursor is opaque to clients: the position of the last item shown (a tuple of strings and
numbers, its shape fixed per list) encoded with msgpack, then base64url without padding. Any
text that is not one (too long, not base64url, not msgpack, not the list's shape) is a 400
"after is not a cursor this server handed out"."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.responses import WireResponse
from cargohold.core.errors import BadRequest
from cargohold.core.numbers import bounded_int
from cargohold.wire.base import Page

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# The longest cursor a list hands out: most positions are a name or an id; those that hold a
# file path (up to 1024 characters) are longer, and so are where-used positions (digests).
SHORT_CURSOR = 256
INSIGHT_CURSOR = 512
BUILD_CURSOR = 2048
LONG_CURSOR = 8192
NOT_A_CURSOR = "after is not a cursor this server handed out"

T = TypeVar("T")

# The parts of a position: ids and names, row numbers, and times (finite seconds).
Number = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Seconds = Annotated[float, msgspec.Meta(ge=-1e12, le=1e12)]


class Position(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """Where a page ended, as a cursor holds it: the sort key of its last item, a tuple."""


P = TypeVar("P", bound=Position)


class Key(Position, frozen=True):
    """Of a list sorted by a name or an id."""

    key: str


class Row(Position, frozen=True):
    """Of a list sorted by a row number (newest first)."""

    number: Number


class Cursor:
    """The opaque ``next`` of a list and the ``after`` of the following request."""

    @staticmethod
    def encode(position: Position | tuple[str | int | float, ...]) -> str:
        """The cursor of a page that ended at ``position`` (the last item shown)."""
        return base64.urlsafe_b64encode(msgspec.msgpack.encode(position)).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str, shape: type[P]) -> P:
        """The position ``encode`` made, if it has ``shape``; else a 400 saying it is not a
        cursor of this server."""
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as exc:  # not base64url, or not ASCII
            raise BadRequest(NOT_A_CURSOR) from exc
        try:
            return msgspec.msgpack.decode(raw, type=shape)
        except msgspec.DecodeError as exc:  # not msgpack, or not the list's shape
            raise BadRequest(NOT_A_CURSOR) from exc


def page_request(
    request: Request, shape: type[P], max_cursor: int = SHORT_CURSOR
) -> tuple[int, P | None]:
    """``limit``, and the position ``after`` holds; ``max_cursor`` is the longest cursor
    this list hands out."""
    limit, after = page_params(request, max_cursor)
    return limit, None if after is None else Cursor.decode(after, shape)


def page_params(request: Request, max_cursor: int = SHORT_CURSOR) -> tuple[int, str | None]:
    """``limit`` and ``after`` as it was sent."""
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
        raise BadRequest(NOT_A_CURSOR)
    return limit, after


def next_link(request: Request, limit: int, cursor: str) -> dict[str, str]:
    """The ``Link: <…>; rel="next"`` header of a page whose ``next`` is ``cursor``."""
    query = {k: v for k, v in request.query_params.items() if k not in ("after", "limit")}
    query.update(limit=str(limit), after=cursor)
    return {"Link": f'<{request.scope["path"]}?{urlencode(query)}>; rel="next"'}


def page_answer(
    request: Request,
    items: list[Any],
    limit: int,
    position: Position | tuple[str | int | float, ...] | None,
) -> Response:
    """A page whose next page starts after ``position`` (None: this is the last)."""
    cursor = None if position is None else Cursor.encode(position)
    headers = next_link(request, limit, cursor) if cursor is not None else {}
    return WireResponse(Page(items=items, next=cursor), headers=headers)


def paged(
    request: Request,
    rows: Sequence[T],
    limit: int,
    render: Callable[[T], Any],
    position: Callable[[T], Position],
) -> Response:
    """``rows`` holds up to ``limit + 1`` entries: one more than fits says there is a next
    page, which starts after the ``position`` of the last one shown."""
    shown = rows[:limit]
    last = position(shown[-1]) if len(rows) > limit and shown else None
    return page_answer(request, [render(r) for r in shown], limit, last)


def page_of(rows: Sequence[T], after: Key | None, limit: int, key: Callable[[T], str]) -> list[T]:
    """The page of an in-memory list sorted by ``key``: the first ``limit + 1`` after ``after``."""
    return [r for r in rows if after is None or key(r) > after.key][: limit + 1]


def after_key(after: Key | None) -> str | None:
    """The name (or id) a list sorted by them continues after."""
    return None if after is None else after.key


def after_row(after: Row | None) -> int | None:
    """The row number a list sorted by them continues after."""
    return None if after is None else after.number


__all__ = [
    "BUILD_CURSOR",
    "DEFAULT_LIMIT",
    "INSIGHT_CURSOR",
    "LONG_CURSOR",
    "MAX_LIMIT",
    "NOT_A_CURSOR",
    "SHORT_CURSOR",
    "Cursor",
    "Key",
    "Number",
    "Position",
    "Row",
    "Seconds",
    "after_key",
    "after_row",
    "next_link",
    "page_answer",
    "page_of",
    "page_params",
    "page_request",
    "paged",
]
