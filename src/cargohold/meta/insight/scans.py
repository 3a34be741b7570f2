"""Queries on scans: each artifact's scan status, the components found in it, the advisories
that affect them (findings), and the per-layer index cache. Where-used reads them in
``meta/insight/impact.py``.

A result replaces the previous one of the same artifact in one transaction: readers see the
old inventory or the new one, never half of each. A finding keeps the time it was first
found across re-matches, so "newly affected since T" is a range scan on ``found_at``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.outbox.scans import scan_record
from cargohold.meta.schema import (
    findings,
    layer_indexes,
    scan_components,
    scan_lookups,
    scans,
)
from cargohold.meta.upsert import insert_ignore
from cargohold.records.insight import ComponentRow, FindingRecord, NewFinding, ScanRecord

_CHUNK = 400


class ScanQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # --- status -------------------------------------------------------------------------

    def get(self, digest: str) -> ScanRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(scans).where(scans.c.digest == digest)).first()
        return None if row is None else scan_record(row)

    def get_many(self, digests: Iterable[str]) -> dict[str, ScanRecord]:
        wanted = sorted(set(digests))
        out: dict[str, ScanRecord] = {}
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), _CHUNK):
                query = sa.select(scans).where(scans.c.digest.in_(wanted[start : start + _CHUNK]))
                out.update((row.digest, scan_record(row)) for row in connection.execute(query))
        return out

    def fail(self, digest: str, reason: str, now: float) -> None:
        """The scan could not be made; components of an earlier result are dropped, since
        they may no longer be what the artifact holds."""
        with self._engine.begin() as connection:
            _clear(connection, digest)
            connection.execute(
                scans.update()
                .where(scans.c.digest == digest)
                .values(status="failed", reasons=json.dumps([reason]), scanned_at=now)
            )

    def save(
        self,
        digest: str,
        status: str,
        reasons: Sequence[str],
        cache_key: str,
        components: Sequence[ComponentRow],
        lookups: Iterable[tuple[str, str]],
        found: Sequence[NewFinding],
        now: float,
    ) -> list[str]:
        """Replace the result of ``digest``; the advisories newly affecting it."""
        with self._engine.begin() as connection:
            known = _found_at(connection, digest)
            _clear(connection, digest)
            connection.execute(
                scans.update()
                .where(scans.c.digest == digest)
                .values(
                    status=status,
                    reasons=json.dumps(list(reasons)),
                    cache_key=cache_key,
                    scanned_at=now,
                    matched_at=now,
                )
            )
            rows = [_component_row(digest, c) for c in components]
            for start in range(0, len(rows), _CHUNK):
                connection.execute(scan_components.insert(), rows[start : start + _CHUNK])
            keys = [{"digest": digest, "ecosystem": e, "name": n} for e, n in sorted(set(lookups))]
            for start in range(0, len(keys), _CHUNK):
                connection.execute(scan_lookups.insert(), keys[start : start + _CHUNK])
            return _put_findings(connection, digest, found, known, now)

    def replace_findings(
        self, results: dict[str, tuple[Sequence[NewFinding], Sequence[str]]], now: float
    ) -> dict[str, list[str]]:
        """Re-matched findings of each digest, in one transaction; digest → the advisories
        newly affecting it. Versions an advisory could not be compared with (the second of
        each pair) join the reasons, and make a done scan incomplete."""
        out: dict[str, list[str]] = {}
        with self._engine.begin() as connection:
            for digest, (found, undecided) in results.items():
                known = _found_at(connection, digest)
                connection.execute(findings.delete().where(findings.c.digest == digest))
                values: dict[str, Any] = {"matched_at": now}
                if undecided:
                    row = connection.execute(
                        sa.select(scans.c.reasons).where(scans.c.digest == digest)
                    ).first()
                    before = json.loads(row.reasons) if row is not None else []
                    values["reasons"] = json.dumps(list(dict.fromkeys([*before, *undecided])))
                    values["status"] = "incomplete"
                connection.execute(scans.update().where(scans.c.digest == digest).values(**values))
                out[digest] = _put_findings(connection, digest, found, known, now)
        return out

    # --- results ------------------------------------------------------------------------

    def components(self, digest: str) -> list[ComponentRow]:
        query = (
            sa.select(scan_components)
            .where(scan_components.c.digest == digest)
            .order_by(scan_components.c.seq)
        )
        with reading(self._engine) as connection:
            return [component_of_row(row) for row in connection.execute(query)]

    def matchable(self, digests: Sequence[str]) -> dict[str, list[ComponentRow]]:
        """The visible components of each of ``digests`` with what matching needs (name,
        versions, ecosystem, source): purl, evidence, licenses and identity are left empty."""
        out: dict[str, list[ComponentRow]] = {digest: [] for digest in digests}
        c = scan_components.c
        with reading(self._engine) as connection:
            for start in range(0, len(digests), _CHUNK):
                query = (
                    sa.select(
                        c.digest,
                        c.seq,
                        c.name,
                        c.version,
                        c.ecosystem,
                        c.source_name,
                        c.source_version,
                    )
                    .where(c.digest.in_(list(digests[start : start + _CHUNK])), c.visible)
                    .order_by(c.digest, c.seq)
                )
                for row in connection.execute(query):
                    out[row.digest].append(
                        ComponentRow(
                            row.seq,
                            row.name,
                            row.version,
                            row.ecosystem,
                            "",
                            "",
                            "",
                            "",
                            (),
                            row.source_name,
                            row.source_version,
                            True,
                        )
                    )
        return out

    def findings(self, digest: str) -> list[FindingRecord]:
        query = (
            sa.select(findings)
            .where(findings.c.digest == digest)
            .order_by(findings.c.advisory_id, findings.c.seq)
        )
        with reading(self._engine) as connection:
            return [finding_of_row(row) for row in connection.execute(query)]

    def digests_for(self, keys: Iterable[tuple[str, str]]) -> list[str]:
        """The scanned artifacts with a component looked up by one of these (casefolded
        ecosystem, name) keys."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = (
                    sa.select(scan_lookups.c.digest)
                    .where(sa.tuple_(scan_lookups.c.ecosystem, scan_lookups.c.name).in_(chunk))
                    .distinct()
                )
                found.update(row[0] for row in connection.execute(query))
        return sorted(found)

    # --- the per-layer cache ------------------------------------------------------------

    def layer_index(self, digest: str, cache_key: str) -> bytes | None:
        query = sa.select(layer_indexes.c.data).where(
            layer_indexes.c.digest == digest, layer_indexes.c.cache_key == cache_key
        )
        with reading(self._engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else bytes(row[0])

    def put_layer_index(self, digest: str, cache_key: str, data: bytes, now: float) -> None:
        with self._engine.begin() as connection:
            insert_ignore(
                connection,
                layer_indexes,
                [{"digest": digest, "cache_key": cache_key, "data": data, "created_at": now}],
            )

    def digests(self, after: str | None, limit: int) -> list[str]:
        """Scanned artifacts in digest order, for a complete re-match."""
        query = sa.select(scans.c.digest).order_by(scans.c.digest).limit(limit)
        if after is not None:
            query = query.where(scans.c.digest > after)
        with reading(self._engine) as connection:
            return [row[0] for row in connection.execute(query)]


def _clear(connection: sa.Connection, digest: str) -> None:
    for table in (findings, scan_lookups, scan_components):
        connection.execute(table.delete().where(table.c.digest == digest))


def _found_at(connection: sa.Connection, digest: str) -> dict[str, float]:
    query = (
        sa.select(findings.c.advisory_id, sa.func.min(findings.c.found_at))
        .where(findings.c.digest == digest)
        .group_by(findings.c.advisory_id)
    )
    return {row[0]: row[1] for row in connection.execute(query)}


def _put_findings(
    connection: sa.Connection,
    digest: str,
    found: Sequence[NewFinding],
    known: dict[str, float],
    now: float,
) -> list[str]:
    rows = [
        {
            "digest": digest,
            "advisory_id": f.advisory_id,
            "seq": f.seq,
            "severity": f.severity,
            "fixed_in": json.dumps(list(f.fixed_in)),
            "found_at": known.get(f.advisory_id, now),
        }
        for f in found
    ]
    for start in range(0, len(rows), _CHUNK):
        connection.execute(findings.insert(), rows[start : start + _CHUNK])
    return sorted({f.advisory_id for f in found} - set(known))


def _component_row(digest: str, c: ComponentRow) -> dict[str, Any]:
    return {
        "digest": digest,
        "seq": c.seq,
        "name": c.name[:512],
        "version": c.version[:256],
        "ecosystem": c.ecosystem[:64],
        "purl": c.purl,
        "purl_key": c.purl_key[:600],
        "cataloger": c.cataloger[:64],
        "evidence": c.evidence,
        "licenses": json.dumps(list(c.licenses)),
        "source_name": None if c.source_name is None else c.source_name[:512],
        "source_version": None if c.source_version is None else c.source_version[:256],
        "visible": c.visible,
        "identity": c.identity[:64] if c.identity else None,
    }


def component_of_row(row: sa.Row[Any]) -> ComponentRow:
    return ComponentRow(
        seq=row.seq,
        name=row.name,
        version=row.version,
        ecosystem=row.ecosystem,
        purl=row.purl,
        purl_key=row.purl_key,
        cataloger=row.cataloger,
        evidence=row.evidence,
        licenses=tuple(json.loads(row.licenses)),
        source_name=row.source_name,
        source_version=row.source_version,
        visible=bool(row.visible),
        identity=row.identity,
    )


def finding_of_row(row: sa.Row[Any]) -> FindingRecord:
    return FindingRecord(
        digest=row.digest,
        advisory_id=row.advisory_id,
        seq=row.seq,
        severity=row.severity,
        fixed_in=tuple(json.loads(row.fixed_in)),
        found_at=row.found_at,
    )


__all__ = ["ScanQueries", "component_of_row", "finding_of_row"]
