"""The advisory database: OSV records imported from a zip export or JSON by an administrator,
and read back by any user. An import commits its audit record with the advisories it stores."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from anyio import to_thread

from cargohold.analysis.vulndb.match import normalize_name
from cargohold.analysis.vulndb.osv import (
    MAX_RECORD_BYTES,
    OSV_LIMITS,
    Advisory,
    Parsed,
    parse_json,
    read_zip,
    split_ecosystem,
)
from cargohold.analysis.vulndb.severity import rate
from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.core.jsondoc import JsonRejected, read_json
from cargohold.core.times import parse_rfc3339
from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.insight import AdvisoryRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.insight.scans import Scans

ZIP_MAGIC = b"PK\x03\x04"
MAX_ID = 128
MAX_ECOSYSTEM = 64
MAX_NAME = 512


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    problems: tuple[str, ...]  # "where: reason", one per skipped record


@dataclass(frozen=True, slots=True)
class StoredAdvisory:
    id: str
    severity: str
    record: dict[str, Any]  # the OSV record as imported


class VulnDatabase:
    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        scans: Scans,
        access: AccessControl,
        audit: AuditLog,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._scans = scans
        self._access = access
        self._audit = audit

    async def import_(self, actor: Actor, read: Callable[[], Awaitable[bytes]]) -> ImportReport:
        """An administrator's import of what ``read`` returns: the caller is checked before
        ``read`` is called, so nobody else gets as far as sending the (large) body. The audit
        record commits in the transaction that stores the advisories."""
        self._access.require_admin(actor.principal)
        data = await read()
        effects = self._audit.entry(actor, "vulndb.import", "vulndb/import", status=200)
        return await self.import_bytes(data, effects)

    async def import_bytes(self, data: bytes, effects: Effects = NO_EFFECTS) -> ImportReport:
        """Import a zip (``all.zip`` format, told by its magic bytes) or a JSON object or array
        of OSV records, committing ``effects`` with them. Malformed records are reported and
        skipped; a body in which nothing at all is readable is a BadRequest. When anything
        changed, the stored inventories it may concern are matched again, in the background.
        Checks nobody: for the administrator's own process (a benchmark); the API imports
        through ``import_``."""
        now = self._clock()
        records, problems = await to_thread.run_sync(self._prepare, data, now)
        if not records and problems and _unreadable(problems):
            raise BadRequest(f"not an OSV zip or JSON document: {problems[0]}")
        counts = await to_thread.run_sync(self._meta.advisories.import_batch, records, effects)
        if counts.added or counts.updated:
            await self._scans.rematch_later(now)
        return ImportReport(counts.added, counts.updated, counts.unchanged, tuple(problems))

    async def get(self, principal: Principal | None, id: str) -> StoredAdvisory:
        self._access.require_user(principal)
        record = await to_thread.run_sync(self._meta.advisories.get, id)
        if record is None:
            raise ResourceUnknown(f"advisory {id[:MAX_ID]!r} is not in the database")
        return StoredAdvisory(record.id, record.severity, json.loads(record.record))

    async def count(self, principal: Principal | None) -> int:
        """How many advisories the database holds."""
        self._access.require_user(principal)
        return await to_thread.run_sync(self._meta.advisories.count)

    def _prepare(self, data: bytes, now: float) -> tuple[list[AdvisoryRecord], list[str]]:
        is_zip = data.startswith(ZIP_MAGIC)
        parsed: Parsed = read_zip(io.BytesIO(data)) if is_zip else parse_json(data)
        raw = _raw_zip(data) if is_zip else _raw_json(data)
        problems = [f"{p.where}: {p.reason}" for p in parsed.problems]
        records: list[AdvisoryRecord] = []
        for advisory in parsed.advisories:
            try:
                records.append(_stored(advisory, raw.get(advisory.id), now))
            except ValueError as exc:
                problems.append(f"{advisory.id[:MAX_ID]}: {exc}")
        return records, problems


def _stored(advisory: Advisory, raw: dict[str, Any] | None, now: float) -> AdvisoryRecord:
    if len(advisory.id) > MAX_ID:
        raise ValueError(f"id: longer than {MAX_ID} characters")
    packages: set[tuple[str, str]] = set()
    for affected in advisory.affected:
        ecosystem = split_ecosystem(affected.ecosystem)[0]
        name = normalize_name(affected.ecosystem, affected.name)
        if len(ecosystem) > MAX_ECOSYSTEM or len(name) > MAX_NAME:
            raise ValueError(f"package {affected.ecosystem[:64]}/{affected.name[:64]}: too long")
        packages.add((ecosystem, name))
    if raw is None:  # unreachable when both readers agree; never store a partial record
        raise ValueError("record not found when reading the input again")
    return AdvisoryRecord(
        id=advisory.id,
        modified=_time(advisory.modified, "modified"),
        withdrawn=None if advisory.withdrawn is None else _time(advisory.withdrawn, "withdrawn"),
        summary=advisory.summary,
        severity=rate(advisory.severity, advisory.database_severity),
        aliases=advisory.aliases,
        record=json.dumps(raw, separators=(",", ":"), sort_keys=True),
        packages=tuple(sorted(packages)),
        imported_at=now,
    )


def _time(value: str, field: str) -> float:
    try:
        return parse_rfc3339(value, assume_utc=False)
    except ValueError as exc:
        raise ValueError(f"{field}: {value[:64]!r} is not an RFC 3339 time with a zone") from exc


def _unreadable(problems: list[str]) -> bool:
    """Whether the input as a whole could not be read (not JSON, not a zip)."""
    return len(problems) == 1 and problems[0].startswith(("<input>: ", "<zip>: "))


def _by_id(items: list[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, dict):
            doc = cast(dict[str, Any], item)
            ident = doc.get("id")
            if isinstance(ident, str):
                seen = out.get(ident)
                # the same choice as import_batch: the latest modified of one id wins
                if seen is None or str(doc.get("modified", "")) > str(seen.get("modified", "")):
                    out[ident] = doc
    return out


def _raw_json(data: bytes) -> dict[str, dict[str, Any]]:
    try:
        doc = read_json(data, OSV_LIMITS)
    except JsonRejected:
        return {}
    return _by_id(doc if isinstance(doc, list) else [doc])


def _raw_zip(data: bytes) -> dict[str, dict[str, Any]]:
    items: list[Any] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.file_size > MAX_RECORD_BYTES:
                    continue
                if not info.filename.lower().endswith(".json"):
                    continue
                try:
                    with archive.open(info) as entry:
                        body = entry.read(MAX_RECORD_BYTES + 1)
                    doc = read_json(body, OSV_LIMITS)
                except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, JsonRejected):
                    continue
                items.extend(doc if isinstance(doc, list) else [doc])
    except (zipfile.BadZipFile, OSError):
        return {}
    return _by_id(items)


__all__ = ["ImportReport", "StoredAdvisory", "VulnDatabase"]
