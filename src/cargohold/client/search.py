"""Search through the REST API: images and generic files across repositories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cargohold.client.models import format_time, parse_time
from cargohold.client.session import RestSession


@dataclass(frozen=True, slots=True)
class SearchItem:
    """An image (one digest of one image, with its tags) or a generic file."""

    type: str
    repository: str
    name: str
    digest: str
    tags: tuple[str, ...]
    size: int
    created: datetime
    modified: datetime
    properties: dict[str, list[str]]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SearchItem:
        properties = doc["properties"]
        if not isinstance(properties, dict):
            raise TypeError(f"'properties' must be an object, got {properties!r}")
        return cls(
            type=str(doc["type"]),
            repository=str(doc["repository"]),
            name=str(doc["name"]),
            digest=str(doc["digest"]),
            tags=tuple(str(t) for t in doc["tags"]),
            size=int(doc["size"]),
            created=parse_time(doc["created"]),
            modified=parse_time(doc["modified"]),
            properties={str(k): [str(v) for v in values] for k, values in properties.items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "repository": self.repository,
            "name": self.name,
            "digest": self.digest,
            "tags": list(self.tags),
            "size": self.size,
            "created": format_time(self.created),
            "modified": format_time(self.modified),
            "properties": self.properties,
        }


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
        return self._session.items("/search", SearchItem.from_json, query, limit)


__all__ = ["Search", "SearchItem"]
