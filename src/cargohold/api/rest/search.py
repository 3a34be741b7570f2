"""``/search``: images and generic files across the repositories the caller may read."""

from __future__ import annotations

from typing import cast

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.rest.pages import LONG_CURSOR, Position, page_request, paged
from cargohold.api.rest.views import parse_timestamp
from cargohold.core.errors import BadRequest
from cargohold.core.times import moment
from cargohold.records.search import TYPES, SearchCriteria, SearchHit, SearchPosition
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.search import SearchItem, SearchType


class After(Position, frozen=True):
    """Where a page ends: the repository, name and digest of its last item."""

    repository: str
    name: str
    digest: str


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


def search_wire(hit: SearchHit) -> SearchItem:
    return SearchItem(
        type=cast(SearchType, hit.type),
        repository=hit.repository,
        name=hit.name,
        digest=hit.digest,
        tags=hit.tags,
        size=hit.size,
        created=moment(hit.created),
        modified=moment(hit.modified),
        properties=hit.properties,
    )


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
        limit, after = page_request(request, After, LONG_CURSOR)
        position = None if after is None else SearchPosition(*msgspec.structs.astuple(after))
        hits = await self._registry.search.find(caller, criteria, position, limit + 1)
        return paged(
            request, hits, limit, search_wire, lambda h: After(h.repository, h.name, h.digest)
        )


__all__ = ["SearchEndpoints", "search_wire"]
