"""``/search``: images and generic files across the repositories the caller may read."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.pages import decode_cursor, encode_cursor, page_params, page_response
from cargohold.api.rest.views import parse_timestamp, timestamp
from cargohold.core.errors import BadRequest
from cargohold.records.search import TYPES, SearchCriteria, SearchHit, SearchPosition
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry

# A cursor holds the key of the last item, a file path (up to 1024 characters) among it:
# longer than other lists'.
MAX_CURSOR = 8192
FILTERS = (
    "repository",
    "name",
    "tag",
    "digest",
    "property",
    "created_after",
    "created_before",
    "modified_after",
    "modified_before",
    "type",
    "limit",
    "after",
)


def search_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "type": hit.type,
        "repository": hit.repository,
        "name": hit.name,
        "digest": hit.digest,
        "tags": list(hit.tags),
        "size": hit.size,
        "created": timestamp(hit.created),
        "modified": timestamp(hit.modified),
        "properties": hit.properties,
    }


def cursor_of(hit: SearchHit) -> str:
    return encode_cursor([hit.repository, hit.name, hit.digest])


def position_of(cursor: str) -> SearchPosition:
    return SearchPosition(*decode_cursor(cursor, str, str, str))


def criteria_of(request: Request) -> SearchCriteria:
    query = request.query_params
    unknown = sorted(set(query) - set(FILTERS))
    if unknown:
        raise BadRequest(
            f"unknown search parameter {unknown[0][:60]!r}; known: {', '.join(FILTERS)}"
        )
    repositories = [key for value in query.getlist("repository") for key in value.split(",")]
    pairs = []
    for value in query.getlist("property"):
        key, equals, wanted = value.partition("=")
        if not equals or not key:
            raise BadRequest(f"property filter {value[:80]!r} is not KEY=VALUE")
        pairs.append((key, wanted))
    types = query.getlist("type")
    return SearchCriteria(
        repositories=tuple(k for k in repositories if k) or None,
        name=query.get("name"),
        tag=query.get("tag"),
        digest=query.get("digest"),
        properties=tuple(pairs),
        created_after=parse_timestamp("created_after", query.get("created_after")),
        created_before=parse_timestamp("created_before", query.get("created_before")),
        modified_after=parse_timestamp("modified_after", query.get("modified_after")),
        modified_before=parse_timestamp("modified_before", query.get("modified_before")),
        types=tuple(types) if types else TYPES,
    )


class SearchEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def find(self, request: Request, caller: Principal | None) -> Response:
        criteria = criteria_of(request)
        limit, after = page_params(request, max_cursor=MAX_CURSOR)
        position = position_of(after) if after is not None else None
        hits = await self._registry.search.find(caller, criteria, position, limit + 1)
        return page_response(request, hits, limit, search_json, cursor_of)


__all__ = ["SearchEndpoints", "cursor_of", "position_of", "search_json"]
