"""Running a search: choosing how to read the page, then the rows as hits."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from cargohold.meta.lifecycle.search.statements import Plan, files, glob, images
from cargohold.meta.schema import properties
from cargohold.records.search import FILE, IMAGE, SearchCriteria, SearchHit, SearchPosition

# A property with fewer holders than this is read first; a commoner one is checked per key.
DRIVE_LIMIT = 2000


def _key(hit: SearchHit) -> tuple[str, str, str]:
    return (hit.repository, hit.name, hit.digest)


class SearchQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def find(
        self, criteria: SearchCriteria, after: SearchPosition | None, limit: int
    ) -> list[SearchHit]:
        """Up to ``limit`` items after ``after``, in (repository, name, digest) order."""
        if criteria.repositories is not None and not criteria.repositories:
            return []
        with self._engine.connect() as connection, connection.begin():
            dialect = connection.dialect.name
            hits: list[SearchHit] = []
            if IMAGE in criteria.types:
                plan = _plan(connection, criteria, None, dialect)
                query = images(plan, after, limit, dialect)
                hits += [_image_hit(row) for row in connection.execute(query)]
            if FILE in criteria.types and criteria.tag is None:
                plan = _plan(connection, criteria, "file:*", dialect)
                query = files(plan, after, limit, dialect)
                hits += [_file_hit(row) for row in connection.execute(query)]
        return sorted(hits, key=_key)[:limit]


def _plan(
    connection: sa.Connection, criteria: SearchCriteria, subjects: str | None, dialect: str
) -> Plan:
    """Whether a property is rare enough to read the page from (fewer than ``DRIVE_LIMIT``
    holders among ``subjects``, counted in the property index); a common one
    (``qa.status=passed`` on every tenth image) is cheaper checked on each key walked in
    order."""
    if not criteria.properties:
        return Plan(criteria, (), False)
    p = properties.c
    counts = {}
    for key, value in criteria.properties:
        holders = sa.select(sa.literal(1)).where(p.key == key, p.value == value)
        if subjects is not None:
            holders = holders.where(glob(p.subject, subjects, dialect))
        counted = sa.select(sa.func.count()).select_from(holders.limit(DRIVE_LIMIT).subquery())
        counts[(key, value)] = connection.execute(counted).scalar_one()
    pairs = tuple(sorted(criteria.properties, key=lambda pair: counts[pair]))
    return Plan(criteria, pairs, counts[pairs[0]] < DRIVE_LIMIT)


def _image_hit(row: sa.Row[Any]) -> SearchHit:
    found: dict[str, set[str]] = {}
    for key, value in _decoded(row.properties) + _decoded(row.tag_properties):
        found.setdefault(key, set()).add(value)
    return SearchHit(
        IMAGE,
        row.repository,
        row.name,
        row.digest,
        int(row.size),
        row.created_at,
        row.modified,
        tuple(sorted(row.tags.split())) if row.tags else (),
        {key: sorted(values) for key, values in sorted(found.items())},
    )


def _file_hit(row: sa.Row[Any]) -> SearchHit:
    found: dict[str, list[str]] = {}
    for key, value in sorted(_decoded(row.properties)):
        found.setdefault(key, []).append(value)
    return SearchHit(
        FILE,
        row.repository,
        row.path,
        row.digest,
        row.size,
        row.created_at,
        row.updated_at,
        (),
        found,
    )


def _decoded(pairs: str | list[list[str]] | None) -> list[tuple[str, str]]:
    """The (key, value) pairs of a JSON aggregate (text on SQLite, decoded on PostgreSQL)."""
    if pairs is None:
        return []
    decoded = json.loads(pairs) if isinstance(pairs, str) else pairs
    return [(key, value) for key, value in decoded]


__all__ = ["DRIVE_LIMIT", "SearchQueries"]
