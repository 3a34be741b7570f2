"""Insight: what the scans found, read back — an artifact's scan status, its SBOM, the
advisories that affect it, the artifacts newly affected since a time, and where-used: every
artifact that holds a package (in a version range) or is affected by an advisory.

Every answer comes from the stored inventories and findings; no blob is read. Listings name
only artifacts in repositories the caller may read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from anyio import to_thread
from packageurl import PackageURL

from cargohold.analysis.model import Inventory
from cargohold.analysis.purls import purl_key
from cargohold.analysis.sbom.common import SbomSubject
from cargohold.analysis.sbom.cyclonedx import cyclonedx_json
from cargohold.analysis.sbom.spdx import spdx_json
from cargohold.analysis.vulndb.osv import scheme_for
from cargohold.analysis.vulndb.versions import VersionError, constraints, satisfies
from cargohold.core.digest import digest_field
from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.core.names import ImageName, Reference
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import FILE, IMAGE
from cargohold.records.insight import ComponentRow, FindingRecord, Location, ScanRecord
from cargohold.registry.generic.files import GenericFiles
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.insight.scans import component_of
from cargohold.registry.oci.manifests import Manifests
from cargohold.registry.packages.files import PACKAGE_FORMATS, PackageFiles
from cargohold.registry.repositories import Repositories

SBOM_FORMATS = {
    "cyclonedx": "application/vnd.cyclonedx+json",
    "spdx": "application/spdx+json",
}
SEVERITIES = ("NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
READ_BATCH = 500  # index rows read at a time for a where-used page
MAX_SCANNED = 20_000  # index rows one where-used page reads at most
MAX_QUERY = 600


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 1


@dataclass(frozen=True, slots=True)
class Target:
    digest: str
    kind: str  # image or file
    name: str


def split_reference(text: str) -> tuple[str, str]:
    """``repo/app:1.4`` → (``repo/app``, ``1.4``); ``repo/app@sha256:…`` → (…, digest);
    ``repo/app`` → (``repo/app``, ``latest``), as docker reads it."""
    if "@" in text:
        name, _, digest = text.partition("@")
        return name, digest
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        return text[:colon], text[colon + 1 :]
    return text, "latest"


@dataclass(frozen=True, slots=True)
class Vulnerability:
    finding: FindingRecord
    component: ComponentRow
    aliases: tuple[str, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class Report:
    scan: ScanRecord
    vulnerabilities: tuple[Vulnerability, ...]


Position = tuple[str | int, ...]  # where a where-used page ended: (digest, [advisory,] seq)


@dataclass(frozen=True, slots=True)
class Impact:
    """One artifact that holds the package or is affected by the advisory, with where."""

    digest: str
    component: ComponentRow
    advisory: str | None
    locations: tuple[Location, ...]
    undecided: str | None = None  # why the version could not be placed in the range
    position: Position = ()


@dataclass(frozen=True, slots=True)
class ImpactPage:
    items: tuple[Impact, ...]
    next: Position | None  # None: nothing after this page


class Insight:
    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        manifests: Manifests,
        generic: GenericFiles,
        packages: PackageFiles,
    ) -> None:
        self._meta = meta
        self._packages = packages
        self._repositories = repositories
        self._access = access
        self._manifests = manifests
        self._generic = generic

    async def locate(
        self, principal: Principal | None, *, image: str | None = None, file: str | None = None
    ) -> Target:
        """The artifact an image reference (``dev/team/app:1.4``, ``…@sha256:…``) or a file
        (``generic-local/libs/x.jar``, or a package file: ``py-local/six/1.16.0/six-1.16.0.tar.gz``)
        names, if the caller may read it."""
        if (image is None) == (file is None):
            raise BadRequest("name either an image (REPO/NAME:TAG or @DIGEST) or a file (KEY/PATH)")
        if image is not None:
            text, reference = split_reference(image)
            name = ImageName.parse(text)
            repository = await self._repositories.get(name.repository)
            self._access.check(principal, repository, Action.READ, name.image)
            record = await self._manifests.resolve(name, Reference.parse(reference))
            return Target(record.digest, IMAGE, str(name))
        assert file is not None
        key, _, path = file.partition("/")
        if not key or not path:
            raise BadRequest(f"file {file[:200]!r}: write REPOSITORY-KEY/PATH")
        repository = await self._repositories.get(key)
        if repository.format in PACKAGE_FORMATS:
            found = (await self._packages.find(principal, key, path)).file
        else:
            found = await self._generic.find(principal, key, path)
        return Target(found.digest, FILE, f"{found.repository}/{found.path}")

    async def scan(self, principal: Principal | None, digest: str) -> ScanRecord:
        checked = digest_field(digest)
        record = await to_thread.run_sync(self._meta.scans.get, checked)
        if record is None or not await self._visible(principal, [checked]):
            raise ResourceUnknown(
                f"no artifact {checked} has been scanned (push it, or POST /api/v1/scan)"
            )
        return record

    async def report(self, principal: Principal | None, digest: str) -> Report:
        """The scan and the advisories that affect the artifact, worst first."""
        record = await self.scan(principal, digest)
        return await to_thread.run_sync(self._report, record)

    def _report(self, record: ScanRecord) -> Report:
        rows = {row.seq: row for row in self._meta.scans.components(record.digest)}
        found = self._meta.scans.findings(record.digest)
        about = self._meta.advisories.severities({f.advisory_id for f in found})
        items = [
            Vulnerability(
                f,
                rows[f.seq],
                about.get(f.advisory_id, ("", "", ()))[2],
                about.get(f.advisory_id, ("", "", ()))[1],
            )
            for f in found
            if f.seq in rows
        ]
        items.sort(
            key=lambda v: (-severity_rank(v.finding.severity), v.finding.advisory_id, v.finding.seq)
        )
        return Report(record, tuple(items))

    async def sbom(
        self, principal: Principal | None, digest: str, fmt: str, *, all_layers: bool = False
    ) -> tuple[str, str]:
        """(media type, JSON) of the artifact's SBOM in ``fmt`` (cyclonedx or spdx)."""
        if fmt not in SBOM_FORMATS:
            raise BadRequest(f"format must be one of: {', '.join(SBOM_FORMATS)}; got {fmt[:40]!r}")
        record = await self.scan(principal, digest)
        if record.status in ("pending", "failed") or record.scanned_at is None:
            raise ResourceUnknown(
                f"{record.digest} has no inventory yet: its scan is {record.status}"
                + (f" ({record.reasons[0]})" if record.reasons else "")
            )
        rows = await to_thread.run_sync(self._meta.scans.components, record.digest)
        inventory = Inventory(
            tuple(component_of(r) for r in rows if r.visible or all_layers), record.reasons
        )
        kind: Literal["image", "file"] = "image" if record.kind == IMAGE else "file"
        subject = SbomSubject(
            name=record.name,
            digest=record.digest,
            created=datetime.fromtimestamp(record.scanned_at, UTC),
            kind=kind,
        )
        render = cyclonedx_json if fmt == "cyclonedx" else spdx_json
        return SBOM_FORMATS[fmt], await to_thread.run_sync(render, subject, inventory)

    async def components(self, principal: Principal | None, digest: str) -> list[ComponentRow]:
        record = await self.scan(principal, digest)
        return await to_thread.run_sync(self._meta.scans.components, record.digest)

    async def affected_since(
        self,
        principal: Principal | None,
        since: float,
        after: tuple[float, str, str, int] | None,
        limit: int,
    ) -> list[tuple[FindingRecord, tuple[Location, ...]]]:
        """Findings first found at ``since`` or later, each with where its artifact is."""
        found = await to_thread.run_sync(self._meta.impact.found_since, since, after, limit)
        where = await self._locations(principal, [f.digest for f in found])
        return [(f, where[f.digest]) for f in found if where.get(f.digest)]

    async def impact_purl(
        self,
        principal: Principal | None,
        purl: str,
        range_text: str | None,
        after: Position | None,
        limit: int,
    ) -> ImpactPage:
        """Readable artifacts holding the package ``purl`` names (in ``range_text``, or the
        exact version the purl gives), in digest order after ``after``."""
        if not purl or len(purl) > MAX_QUERY:
            raise BadRequest(f"purl: a package URL of 1-{MAX_QUERY} characters is needed")
        try:
            parsed = PackageURL.from_string(purl)
            key = purl_key(purl)
        except ValueError as exc:
            raise BadRequest(f"purl: {purl[:80]!r} is not a package URL ({exc})") from exc
        wanted = _range(range_text) if range_text else None
        exact = parsed.version

        async def read(
            position: Position | None,
        ) -> list[tuple[Position, str, ComponentRow, str | None]]:
            start = (str(position[0]), int(position[1])) if position is not None else None
            rows = await to_thread.run_sync(
                self._meta.impact.with_purl, key, exact, start, READ_BATCH
            )
            return [((digest, row.seq), digest, row, None) for digest, row in rows]

        def keep(row: ComponentRow) -> tuple[bool, str | None]:
            if wanted is None:
                return True, None
            scheme = scheme_for(row.ecosystem)
            try:
                if scheme is None:
                    raise VersionError(f"no version ordering is known for {row.ecosystem}")
                return satisfies(scheme, row.version, wanted), None
            except VersionError as exc:
                return True, f"{row.version!r} could not be compared: {exc}"

        return await self._page(principal, read, keep, after, limit)

    async def impact_advisory(
        self, principal: Principal | None, advisory: str, after: Position | None, limit: int
    ) -> ImpactPage:
        """Readable artifacts affected by ``advisory`` (an OSV id or an alias), in digest
        order after ``after``."""
        if not advisory or len(advisory) > 128:
            raise BadRequest("advisory: an OSV id or alias (CVE-…) of 1-128 characters")
        ids = await to_thread.run_sync(self._meta.advisories.resolve, advisory)
        if not ids:
            raise ResourceUnknown(f"advisory {advisory!r} is not in the database")

        async def read(
            position: Position | None,
        ) -> list[tuple[Position, str, ComponentRow, str | None]]:
            start = (
                (str(position[0]), str(position[1]), int(position[2]))
                if position is not None
                else None
            )
            rows = await to_thread.run_sync(
                self._meta.impact.with_advisories, ids, start, READ_BATCH
            )
            return [
                ((f.digest, f.advisory_id, f.seq), f.digest, row, f.advisory_id) for f, row in rows
            ]

        return await self._page(principal, read, lambda row: (True, None), after, limit)

    async def _page(
        self,
        principal: Principal | None,
        read: Callable[
            [Position | None], Awaitable[list[tuple[Position, str, ComponentRow, str | None]]]
        ],
        keep: Callable[[ComponentRow], tuple[bool, str | None]],
        after: Position | None,
        limit: int,
    ) -> ImpactPage:
        """Up to ``limit`` impacts after ``after``, read from the index in batches and
        filtered (version, readable repository). At most MAX_SCANNED rows are read for one
        page; a page cut short there still has a ``next`` to go on from."""
        items: list[Impact] = []
        position = after
        scanned = 0
        while scanned < MAX_SCANNED:
            rows = await read(position)
            if not rows:
                return ImpactPage(tuple(items), None)
            where = await self._locations(principal, sorted({digest for _, digest, _, _ in rows}))
            for at, digest, row, advisory in rows:
                position = at
                scanned += 1
                wanted, undecided = keep(row)
                if wanted and where.get(digest):
                    if len(items) == limit:
                        return ImpactPage(tuple(items), items[-1].position)
                    items.append(Impact(digest, row, advisory, where[digest], undecided, at))
            if len(rows) < READ_BATCH:
                return ImpactPage(tuple(items), None)
        return ImpactPage(tuple(items), position)

    async def _locations(
        self, principal: Principal | None, digests: Sequence[str]
    ) -> dict[str, tuple[Location, ...]]:
        """digest → where it is, in repositories the caller may read."""
        if not digests:
            return {}
        every = await self._repositories.all()
        readable = {r.key for r in every if self._access.allows(principal, r, Action.READ)}
        found = await to_thread.run_sync(self._meta.impact.locations, digests)
        out: dict[str, list[Location]] = {}
        for asked, location in found:
            if location.repository in readable:
                out.setdefault(asked, []).append(location)
        return {digest: tuple(locations) for digest, locations in out.items()}

    async def _visible(self, principal: Principal | None, digests: Sequence[str]) -> bool:
        if principal is not None and principal.is_admin:
            return True
        return bool(await self._locations(principal, digests))


def _range(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_QUERY:
        raise BadRequest(f"range: at most {MAX_QUERY} characters")
    try:
        return constraints(text)
    except ValueError as exc:
        raise BadRequest(
            f"range: {exc}; write e.g. <2.17.1 or >=2.0.0,<2.17.1 (or vers:maven/<2.17.1)"
        ) from exc


__all__ = [
    "SBOM_FORMATS",
    "SEVERITIES",
    "Impact",
    "ImpactPage",
    "Insight",
    "Position",
    "Report",
    "Target",
    "Vulnerability",
    "severity_rank",
    "split_reference",
]
