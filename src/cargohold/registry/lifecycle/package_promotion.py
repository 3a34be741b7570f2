"""Promotion of a package version (all its files) from one PyPI or npm repository to another
of the same format, by metadata only, through the promotion engine: ``promote`` on the source
(``delete`` there too to move), ``write`` on the target, every file judged by the policies
watching the target, a promotion record (kind "package") of every attempt. Moving a version
out of a repository that does not allow unpublishing is refused: it would unpublish it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cargohold.core.errors import BadRequest, Denied
from cargohold.core.properties import validate
from cargohold.meta.effects import Effects
from cargohold.meta.lifecycle.package_promotion import VersionTransfer
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import PromotionRecord
from cargohold.registry.events.emitter import Happened
from cargohold.registry.identity.audit import Actor
from cargohold.registry.lifecycle.engine import Attempt, Gates, Plan, PromotionEngine
from cargohold.registry.packages.files import PackageFiles, package_event_data, settings_of
from cargohold.registry.packages.names import package_name
from cargohold.registry.repositories import Repositories

FORMATS = ("pypi", "npm", "maven")


@dataclass(frozen=True, slots=True)
class PackagePromotion:
    source_repository: str
    target_repository: str
    name: str
    version: str
    copy: bool = True
    dry_run: bool = False
    properties: Mapping[str, object] | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class VersionPromoted:
    transfer: VersionTransfer
    record: PromotionRecord


class PackagePromotions:
    def __init__(
        self,
        packages: PackageFiles,
        repositories: Repositories,
        meta: MetadataStore,
        engine: PromotionEngine,
    ) -> None:
        self._packages = packages
        self._repositories = repositories
        self._meta = meta
        self._engine = engine

    async def promote(self, actor: Actor, request: PackagePromotion) -> VersionPromoted:
        """Promote, or refuse with the reason; either way the attempt is recorded."""
        attempt = self._engine.attempt(
            actor,
            "package",
            f"packages/{request.source_repository}/promote",
            copy=request.copy,
            dry_run=request.dry_run,
            comment=request.comment,
        )
        return await self._engine.run(
            _Version(self._packages, self._repositories, self._meta, request, attempt)
        )


class _Version:
    def __init__(
        self,
        packages: PackageFiles,
        repositories: Repositories,
        meta: MetadataStore,
        request: PackagePromotion,
        attempt: Attempt,
    ) -> None:
        self._packages = packages
        self._repositories = repositories
        self._meta = meta
        self._request = request
        self.attempt = attempt
        self._name = request.name

    async def gates(self) -> Gates:
        request = self._request
        source = await self._repositories.get(request.source_repository)
        if source.format not in FORMATS:
            raise BadRequest(
                f"repository {source.key!r} holds {source.format}, not packages: promote "
                "images with /docker/{key}/promote and files with /generic/{key}/promote"
            )
        target = await self._packages.repository(request.target_repository, source.format)
        if not request.name or not request.version:
            raise BadRequest("name the package version to promote: 'name' and 'version'")
        self._name = package_name(source.format, request.name)
        return Gates((source,), (target,), "package versions", guard_immutable_sources=False)

    async def plan(self, gates: Gates) -> Plan[VersionPromoted]:
        request, attempt = self._request, self.attempt
        (source,), (target,) = gates.sources, gates.targets
        name, version = self._name, request.version
        if not request.copy and not settings_of(source).unpublish:
            raise Denied(
                f"repository {source.key!r} does not allow deleting package versions (setting "
                "allowUnpublish), so a version cannot be moved out of it: copy it instead",
                {"repository": source.key, "setting": "allowUnpublish"},
            )
        files = await self._packages.files(source.key, name, version)
        checks = [(target.key, f.file.digest, f"{source.key}/{f.file.path}") for f in files]
        added = validate(request.properties or {})
        record = attempt.record(
            source_repository=source.key,
            target_repository=target.key,
            source=f"{name}@{version}",
            target=f"{name}@{version}",
            properties=added,
            status=200,
            message=attempt.outcome,
        )
        found = await self._packages.version(source.key, name, version)
        events: list[Happened] = []
        if found is not None:
            data = package_event_data(source.format, found, files, attempt.actor)
            events.append(
                Happened(
                    "promote",
                    target.key,
                    f"{name}@{version}",
                    {
                        **data,
                        "repository": target.key,
                        "sourceRepository": source.key,
                        "copy": request.copy,
                    },
                    attempt.actor.name,
                )
            )

        def apply(effects: Effects) -> VersionPromoted:
            transfer = self._meta.package_promotions.transfer(
                source.key,
                target.key,
                name,
                version,
                move=not request.copy,
                by=attempt.actor.name,
                now=attempt.time,
                properties=added,
                records=[record],
                dry_run=request.dry_run,
                effects=effects,
            )
            return VersionPromoted(transfer, record)

        return Plan(checks, events, apply)

    def refused(self, status: int, message: str) -> PromotionRecord:
        request = self._request
        return self.attempt.record(
            source_repository=request.source_repository,
            target_repository=request.target_repository,
            source=f"{self._name}@{request.version}",
            target=f"{self._name}@{request.version}",
            status=status,
            message=message,
        )


__all__ = ["PackagePromotion", "PackagePromotions", "VersionPromoted"]
