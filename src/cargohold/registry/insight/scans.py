"""Scanning: what is inside an artifact, found once per content digest by a background job,
and matched against the advisory database.

An image is indexed layer by layer; a layer's index is stored under the cache key (the
versions of the catalogers and the limits), so a base layer shared by a thousand images is
unpacked once. A generic file is cataloged as one file (archives inside it are recursed).
Matching reads only stored inventories: after an advisory import, ``rematch`` recomputes the
findings of the artifacts whose components the new advisories name, without reading a blob.

An artifact's status: ``pending`` until its first scan ends, then ``done``, ``incomplete``
(a limit was hit or a version could not be compared: the reasons say which) or ``failed``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from anyio import to_thread

from cargohold.analysis.catalogers import CATALOGERS
from cargohold.analysis.layered import (
    cache_key,
)
from cargohold.analysis.model import Cataloger, Component
from cargohold.analysis.purls import purl_key
from cargohold.analysis.unpack.limits import Limits
from cargohold.analysis.vulndb.match import (
    AdvisoryIndex,
    lookup_keys,
    match_index,
    normalize_name,
)
from cargohold.analysis.vulndb.osv import Advisory, MalformedRecord, parse_record, split_ecosystem
from cargohold.core.errors import BlobNotFound
from cargohold.meta.effects import Effects, ScanRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import IMAGE, KINDS
from cargohold.records.insight import ComponentRow, NewFinding
from cargohold.records.jobs import NewJob
from cargohold.registry.events.emitter import Events, Happened
from cargohold.registry.insight.indexing import Indexer
from cargohold.registry.jobs import JobQueue
from cargohold.storage.base import BlobStore

SCAN_JOB = "insight.scan"
REMATCH_JOB = "insight.rematch"
REMATCH_BATCH = 200
log = logging.getLogger("cargohold.scans")


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    status: str
    components: int
    advisories: tuple[str, ...]  # newly affecting the artifact


class Scans:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        jobs: JobQueue,
        events: Events,
        clock: Callable[[], float],
        *,
        tmp_dir: Path | None = None,
        limits: Limits | None = None,
        catalogers: Sequence[Cataloger] = CATALOGERS,
    ) -> None:
        self._meta = meta
        self._jobs = jobs
        self._events = events
        self._clock = clock
        limits = limits or Limits()
        self.cache_key = cache_key(catalogers, limits)
        self._indexer = Indexer(
            store,
            meta,
            clock,
            catalogers=catalogers,
            limits=limits,
            cache_key=self.cache_key,
            tmp_dir=tmp_dir,
        )
        self._listeners: list[Callable[[str], Awaitable[None]]] = []

    def on_findings(self, listener: Callable[[str], Awaitable[None]]) -> None:
        """Call ``listener(digest)`` after each scan or re-match that stored findings of
        ``digest`` (policies evaluate it then)."""
        self._listeners.append(listener)

    async def _findings_changed(self, digest: str) -> None:
        for listener in self._listeners:
            try:
                await listener(digest)
            except Exception:
                log.exception("a listener of the findings of %s failed", digest)

    # --- requests -----------------------------------------------------------------------

    def requested(self, digest: str, kind: str, name: str, *, force: bool = False) -> Effects:
        """Have ``digest`` scanned unless it was, under the current cache key, as an effect
        of the write that pushed it. ``force`` scans it again anyway (layers come from the
        cache)."""
        job = NewJob(SCAN_JOB, {"digest": digest}, key=f"{SCAN_JOB}:{digest}", max_attempts=3)
        request = ScanRequest(digest, kind, name, self.cache_key, job, force)
        return Effects(self._clock(), scans=(request,))

    async def rematch_later(self, since: float) -> None:
        """Queue a re-match of the inventories the advisories imported since ``since`` name."""
        await self._jobs.enqueue(REMATCH_JOB, {"since": since}, max_attempts=5)

    async def fail(self, digest: str, reason: str) -> None:
        """Record that scanning ``digest`` failed for good, with why."""
        await to_thread.run_sync(self._meta.scans.fail, digest, reason[:2000], self._clock())
        await self.announce("scan", digest, {"status": "failed", "reasons": [reason[:2000]]})

    # --- the scan job -------------------------------------------------------------------

    async def run(self, digest: str) -> ScanOutcome:
        record = await to_thread.run_sync(self._meta.scans.get, digest)
        if record is None:
            raise LookupError(f"no scan was requested for {digest}")
        try:
            inventory, hidden = await self._indexer.inventory(record)
        except (BlobNotFound, ValueError) as exc:
            await self.fail(digest, f"{type(exc).__name__}: {exc}")
            return ScanOutcome("failed", 0, ())
        seen = component_rows(inventory.components, visible=True)
        rows = seen + component_rows(hidden, visible=False, start=len(seen))
        found, undecided = await to_thread.run_sync(self._match, {digest: rows})
        reasons = [*inventory.incomplete, *undecided.get(digest, [])]
        status = "incomplete" if reasons else "done"
        lookups = {key for row in rows if row.visible for key in lookup_keys(component_of(row))}
        new = await to_thread.run_sync(
            self._meta.scans.save,
            digest,
            status,
            reasons,
            self.cache_key,
            rows,
            lookups,
            found.get(digest, []),
            self._clock(),
        )
        await self.announce("scan", digest, {"status": status, "reasons": reasons[:20]})
        if new:
            await self.announce("vulnerable", digest, {"advisories": new, "cause": "scan"})
        await self._findings_changed(digest)
        return ScanOutcome(status, len(inventory.components), tuple(new))

    async def announce(self, kind: str, digest: str, data: dict[str, object]) -> None:
        """Emit event ``kind`` about ``digest`` once for each image or file that is it."""
        await self.announce_many(kind, {digest: data})

    async def announce_many(self, kind: str, about: dict[str, dict[str, object]]) -> None:
        """``announce`` for each digest, with one look-up and one write for them all."""
        locations = await to_thread.run_sync(self._meta.impact.locations, list(about))
        happenings = [
            Happened(
                kind,
                where.repository,
                where.path,
                {
                    "digest": digest,
                    "kind": where.kind,
                    "repository": where.repository,
                    "name": f"{where.repository}/{where.path}",
                    **({"tags": list(where.tags)} if where.kind == IMAGE else {}),
                    **about[digest],
                },
            )
            for digest, where in locations
            # a build names the artifact; the image or file itself is announced
            if where.kind in KINDS
        ]
        await self._events.emit_many(happenings)

    # --- matching -----------------------------------------------------------------------

    async def rematch(self, since: float) -> dict[str, list[str]]:
        """Findings recomputed for every artifact a component of which an advisory imported
        at ``since`` or later names; digest → advisories that newly affect it."""
        packages = await to_thread.run_sync(self._meta.advisories.packages_since, since)
        keys = {(split_ecosystem(e)[0].casefold(), n) for e, n in packages}
        digests = await to_thread.run_sync(self._meta.scans.digests_for, keys)
        newly: dict[str, list[str]] = {}
        for start in range(0, len(digests), REMATCH_BATCH):
            batch = digests[start : start + REMATCH_BATCH]
            newly.update(await to_thread.run_sync(self._rematch_batch, batch))
        affected = {digest: ids for digest, ids in newly.items() if ids}
        await self.announce_many(
            "vulnerable",
            {
                digest: {"advisories": ids, "cause": "advisories"}
                for digest, ids in affected.items()
            },
        )
        for digest in affected:
            await self._findings_changed(digest)
        return affected

    def _rematch_batch(self, digests: Sequence[str]) -> dict[str, list[str]]:
        inventories = self._meta.scans.matchable(digests)
        found, undecided = self._match(inventories)
        return self._meta.scans.replace_findings(
            {d: (found.get(d, []), undecided.get(d, [])) for d in inventories}, self._clock()
        )

    def _match(
        self, inventories: dict[str, list[ComponentRow]]
    ) -> tuple[dict[str, list[NewFinding]], dict[str, list[str]]]:
        """Findings and undecided comparisons of each inventory's visible components. A
        package found in many places (a base layer shared by many images) is matched once."""
        packages: dict[Component, list[tuple[str, int]]] = {}
        for digest, rows in inventories.items():
            for row in rows:
                if row.visible:
                    package = replace(component_of(row), evidence="", cataloger="", identity="")
                    packages.setdefault(package, []).append((digest, row.seq))
        keys = {
            (split_ecosystem(c.ecosystem)[0], normalize_name(c.ecosystem, name))
            for c in packages
            for name in {c.name, c.source_name or c.name}
        }
        advisories = _parsed(self._meta.advisories.for_packages(keys))
        matches = match_index(packages, AdvisoryIndex(advisories))
        found: dict[str, list[NewFinding]] = {digest: [] for digest in inventories}
        undecided: dict[str, list[str]] = {digest: [] for digest in inventories}
        for f in matches.findings:
            for digest, seq in packages[f.component]:
                found[digest].append(NewFinding(f.advisory, seq, f.severity, f.fixed_in))
        for u in matches.undecided:
            reason = (
                f"{u.advisory}: {u.component.name} {u.component.version} could not be "
                f"compared ({u.reason})"
            )
            for digest, _ in packages[u.component]:
                if reason not in undecided[digest]:
                    undecided[digest].append(reason)
        return found, undecided


def component_rows(
    components: Sequence[Component], *, visible: bool, start: int = 0
) -> list[ComponentRow]:
    rows: list[ComponentRow] = []
    for offset, c in enumerate(components):
        try:
            key = purl_key(c.purl)
        except ValueError:
            key = c.purl
        rows.append(
            ComponentRow(
                seq=start + offset,
                name=c.name,
                version=c.version,
                ecosystem=c.ecosystem,
                purl=c.purl,
                purl_key=key,
                cataloger=c.cataloger,
                evidence=c.evidence,
                licenses=c.licenses,
                source_name=c.source_name,
                source_version=c.source_version,
                visible=visible,
                identity=c.identity or None,
            )
        )
    return rows


def component_of(row: ComponentRow) -> Component:
    return Component(
        name=row.name,
        version=row.version,
        ecosystem=row.ecosystem,
        purl=row.purl,
        cataloger=row.cataloger,
        evidence=row.evidence,
        licenses=row.licenses,
        source_name=row.source_name,
        source_version=row.source_version,
        identity=row.identity or "",
    )


def _parsed(records: Sequence[Any]) -> list[Advisory]:
    out: list[Advisory] = []
    for record in records:
        try:
            out.append(parse_record(json.loads(record.record)))
        except (MalformedRecord, ValueError):
            log.warning("stored advisory %s could not be read again: skipped", record.id)
    return out


__all__ = [
    "REMATCH_JOB",
    "SCAN_JOB",
    "ScanOutcome",
    "Scans",
    "component_of",
    "component_rows",
]
