"""Search through the REST API: images and generic files across repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cargohold.client.models import format_time
from cargohold.client.session import RestSession
from cargohold.wire.search import SearchItem


class Search:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def find(
        self,
        *,
        repositories: Sequence[str] = (),
        name: str | None = None,
        tag: str | None = None,
        digest: str | None = None,
        properties: Sequence[str] = (),
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> list[SearchItem]:
        """Every item matching all the filters given (or the first ``limit``), by repository,
        name and digest. ``properties`` are ``KEY=VALUE`` strings."""
        params: dict[str, str | list[str]] = {}
        if repositories:
            params["repository"] = ",".join(repositories)
        if properties:
            params["property"] = list(properties)
        for field, value in (("name", name), ("tag", tag), ("digest", digest), ("type", type)):
            if value is not None:
                params[field] = value
        for field, moment in (
            ("created_after", created_after),
            ("created_before", created_before),
            ("modified_after", modified_after),
            ("modified_before", modified_before),
        ):
            if moment is not None:
                params[field] = format_time(moment)
        # httpx sends a list as the parameter repeated, as the API wants ``property``.
        query: Any = params
        return self._session.items("/search", SearchItem, query, limit)


__all__ = ["Search", "SearchItem"]
