"""Ask for a scan within the transaction of the write that pushed the artifact."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from cargohold.meta.schema import scans
from cargohold.meta.upsert import insert_ignore
from cargohold.records.insight import ScanRecord


def request_scan(
    connection: sa.Connection, digest: str, kind: str, name: str, cache_key: str, now: float
) -> ScanRecord | None:
    """Record, within the caller's transaction, that ``digest`` is to be scanned; its scan
    as it was before (None: it had none). A scanned artifact keeps its result until the new
    one replaces it."""
    before = connection.execute(sa.select(scans).where(scans.c.digest == digest)).first()
    insert_ignore(
        connection,
        scans,
        [
            {
                "digest": digest,
                "kind": kind,
                "name": name[:1024],
                "status": "pending",
                "reasons": "[]",
                "cache_key": cache_key,
                "requested_at": now,
                "scanned_at": None,
                "matched_at": None,
            }
        ],
    )
    return None if before is None else scan_record(before)


def scan_is_current(before: ScanRecord | None, cache_key: str) -> bool:
    """Whether a scan as it was needs no new run: one is pending, or it ended (not failed)
    under the current cache key."""
    return before is not None and (
        before.status == "pending" or (before.status != "failed" and before.cache_key == cache_key)
    )


def scan_record(row: sa.Row[Any]) -> ScanRecord:
    return ScanRecord(
        digest=row.digest,
        kind=row.kind,
        name=row.name,
        status=row.status,
        reasons=tuple(json.loads(row.reasons)),
        cache_key=row.cache_key,
        requested_at=row.requested_at,
        scanned_at=row.scanned_at,
        matched_at=row.matched_at,
    )


__all__ = ["request_scan", "scan_is_current", "scan_record"]
