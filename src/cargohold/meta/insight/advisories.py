"""Queries on the advisory database: OSV records by id, and by the packages they name.

An import is incremental: a record is stored when its id is new, replaced when the incoming
``modified`` time is newer than the stored one, and left alone otherwise, so importing the
same export twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.schema import advisories, advisory_aliases, advisory_packages
from cargohold.records.insight import AdvisoryRecord, ImportCounts

# Ids and package keys per statement: well under SQLite's bound-parameter limit.
_CHUNK = 400
MAX_ALIAS = 128


class AdvisoryQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def import_batch(
        self, records: Iterable[AdvisoryRecord], effects: Effects = NO_EFFECTS
    ) -> ImportCounts:
        """Store new records and newer versions of stored ones, in one transaction with
        ``effects`` (committed even when nothing changed: the import happened). Of two
        records with the same id in one batch, the later ``modified`` wins."""
        latest: dict[str, AdvisoryRecord] = {}
        for record in records:
            seen = latest.get(record.id)
            if seen is None or record.modified > seen.modified:
                latest[record.id] = record
        added = updated = unchanged = 0
        with self._engine.begin() as connection:
            ids = list(latest)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                query = sa.select(advisories.c.id, advisories.c.modified).where(
                    advisories.c.id.in_(chunk)
                )
                stored: dict[str, float] = {
                    row.id: row.modified for row in connection.execute(query)
                }
                fresh = [latest[i] for i in chunk if i not in stored]
                newer = [latest[i] for i in chunk if i in stored and latest[i].modified > stored[i]]
                unchanged += len(chunk) - len(fresh) - len(newer)
                if newer:
                    gone = [r.id for r in newer]
                    for table in (advisory_packages, advisory_aliases):
                        connection.execute(table.delete().where(table.c.advisory_id.in_(gone)))
                    connection.execute(advisories.delete().where(advisories.c.id.in_(gone)))
                changed = fresh + newer
                if changed:
                    connection.execute(advisories.insert(), [_row(r) for r in changed])
                    packages = [
                        {"advisory_id": r.id, "ecosystem": ecosystem, "name": name}
                        for r in changed
                        for ecosystem, name in sorted(set(r.packages))
                    ]
                    if packages:
                        connection.execute(advisory_packages.insert(), packages)
                    aliases = [
                        {"advisory_id": r.id, "alias": alias}
                        for r in changed
                        for alias in sorted(set(r.aliases))
                        if len(alias) <= MAX_ALIAS
                    ]
                    if aliases:
                        connection.execute(advisory_aliases.insert(), aliases)
                added += len(fresh)
                updated += len(newer)
            commit_in(connection, effects)
        return ImportCounts(added, updated, unchanged)

    def get(self, id: str) -> AdvisoryRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(advisories).where(advisories.c.id == id)).first()
            if row is None:
                return None
            packages = _packages(connection, [id])
        return _record(row, packages.get(id, ()))

    def count(self) -> int:
        with reading(self._engine) as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(advisories)).scalar_one()
            )

    def for_packages(self, keys: Iterable[tuple[str, str]]) -> list[AdvisoryRecord]:
        """Every record that names one of these (ecosystem, name) pairs, ordered by id."""
        wanted = sorted(set(keys))
        found: dict[str, sa.Row[Any]] = {}
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = (
                    sa.select(advisories)
                    .join(advisory_packages, advisory_packages.c.advisory_id == advisories.c.id)
                    .where(
                        sa.tuple_(advisory_packages.c.ecosystem, advisory_packages.c.name).in_(
                            chunk
                        )
                    )
                )
                for row in connection.execute(query):
                    found[row.id] = row
            packages = _packages(connection, list(found))
        return [_record(found[i], packages.get(i, ())) for i in sorted(found)]

    def resolve(self, name: str) -> list[str]:
        """The ids of the advisories that are ``name`` or list it among their aliases."""
        with reading(self._engine) as connection:
            ids = {
                row[0]
                for row in connection.execute(
                    sa.select(advisories.c.id).where(advisories.c.id == name)
                )
            }
            ids.update(
                row[0]
                for row in connection.execute(
                    sa.select(advisory_aliases.c.advisory_id).where(
                        advisory_aliases.c.alias == name
                    )
                )
            )
        return sorted(ids)

    def packages_since(self, since: float) -> list[tuple[str, str]]:
        """The (ecosystem, name) pairs of every advisory imported or replaced at ``since`` or
        later: what a re-match after an import has to look at."""
        query = (
            sa.select(advisory_packages.c.ecosystem, advisory_packages.c.name)
            .join(advisories, advisories.c.id == advisory_packages.c.advisory_id)
            .where(advisories.c.imported_at >= since)
            .distinct()
        )
        with reading(self._engine) as connection:
            return [(row[0], row[1]) for row in connection.execute(query)]

    def severities(self, ids: Iterable[str]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
        """id → (severity, summary, aliases) of the stored advisories among ``ids``."""
        wanted = sorted(set(ids))
        out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), _CHUNK):
                query = sa.select(
                    advisories.c.id,
                    advisories.c.severity,
                    advisories.c.summary,
                    advisories.c.aliases,
                ).where(advisories.c.id.in_(wanted[start : start + _CHUNK]))
                for row in connection.execute(query):
                    out[row.id] = (row.severity, row.summary, tuple(json.loads(row.aliases)))
        return out


def _packages(
    connection: sa.Connection, ids: Sequence[str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for start in range(0, len(ids), _CHUNK):
        query = (
            sa.select(advisory_packages)
            .where(advisory_packages.c.advisory_id.in_(ids[start : start + _CHUNK]))
            .order_by(advisory_packages.c.ecosystem, advisory_packages.c.name)
        )
        for row in connection.execute(query):
            out.setdefault(row.advisory_id, []).append((row.ecosystem, row.name))
    return {key: tuple(value) for key, value in out.items()}


def _row(record: AdvisoryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "modified": record.modified,
        "withdrawn": record.withdrawn,
        "summary": record.summary,
        "severity": record.severity,
        "aliases": json.dumps(list(record.aliases)),
        "record": record.record,
        "imported_at": record.imported_at,
    }


def _record(row: sa.Row[Any], packages: tuple[tuple[str, str], ...]) -> AdvisoryRecord:
    return AdvisoryRecord(
        id=row.id,
        modified=row.modified,
        withdrawn=row.withdrawn,
        summary=row.summary,
        severity=row.severity,
        aliases=tuple(json.loads(row.aliases)),
        record=row.record,
        packages=packages,
        imported_at=row.imported_at,
    )


__all__ = ["AdvisoryQueries"]
