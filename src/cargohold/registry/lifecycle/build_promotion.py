"""The promotion of a whole build, all or nothing: every artifact it produced (images by tag
and digest, files by path) to the target repository of its type, with a status appended to
the build's history.

It needs ``promote`` on every source (``delete`` too, to move) and ``write`` on every target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cargohold.core.errors import BadRequest, Conflict, RepositoryInvalid
from cargohold.core.properties import validate
from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import (
    BuildArtifact,
    BuildPromotion,
    BuildStatusRecord,
    PromotionRecord,
)
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.events.emitter import Happened
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action
from cargohold.registry.lifecycle.builds import TYPES, Build, Builds
from cargohold.registry.lifecycle.engine import (
    Attempt,
    Gates,
    Plan,
    PromotionEngine,
    promotion_data,
)
from cargohold.registry.repositories import Repositories

_STATUS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")


@dataclass(frozen=True, slots=True)
class PromotionRequest:
    target_repository: str
    status: str = "promoted"
    comment: str = ""
    copy: bool = False
    dry_run: bool = False
    targets: Mapping[str, str] | None = None  # artifact type -> repository, over the target
    properties: Mapping[str, object] | None = None


@dataclass(frozen=True, slots=True)
class PromotedArtifact:
    type: str
    repository: str  # the target
    name: str
    digest: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BuildPromoted:
    name: str
    number: str
    status: str
    copy: bool
    dry_run: bool
    artifacts: tuple[PromotedArtifact, ...]
    records: tuple[PromotionRecord, ...]  # one per artifact


class BuildPromotions:
    def __init__(
        self,
        builds: Builds,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        engine: PromotionEngine,
    ) -> None:
        self._builds = builds
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._engine = engine

    async def promote(
        self, actor: Actor, name: str, number: str, request: PromotionRequest
    ) -> BuildPromoted:
        """Promote every artifact of the build or none; the attempt is recorded either way
        (unless the caller may not see the build: then it does not exist)."""
        build = await self._builds.get(actor.principal, name, number)
        attempt = self._engine.attempt(
            actor,
            "build",
            f"builds/{name}/{number}/promote",
            copy=request.copy,
            dry_run=request.dry_run,
            comment=request.comment,
        )
        return await self._engine.run(
            _Build(self._meta, self._repositories, self._access, build, request, attempt)
        )


class _Build:
    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        build: Build,
        request: PromotionRequest,
        attempt: Attempt,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._build = build
        self._request = request
        self.attempt = attempt
        self._targets: dict[str, RepositoryRecord] = {}

    @property
    def _label(self) -> str:
        info = self._build.info
        return f"build {info.name} #{info.number}"

    async def gates(self) -> Gates:
        info, request = self._build.info, self._request
        if not _STATUS.match(request.status):
            raise BadRequest("'status' must be 1-64 letters, digits, spaces or '._-'")
        self._targets = await self._targets_by_type()
        sources = [
            await self._repositories.get(key)
            for key in sorted({a.repository for a in info.artifacts})
        ]
        targets = list({t.key: t for t in self._targets.values()}.values())
        return Gates(sources, targets, self._label, remedy='promote with "copy": true')

    async def plan(self, gates: Gates) -> Plan[BuildPromoted]:
        info, request, attempt = self._build.info, self._request, self.attempt
        principal = attempt.actor.principal
        targets = self._targets
        added = validate(request.properties or {})
        artifacts = tuple(
            BuildArtifact(a.type, a.repository, a.name, a.digest, a.tag, targets[a.type].key)
            for a in info.artifacts
        )
        for artifact in artifacts:
            if artifact.repository == artifact.target_repository:
                raise BadRequest(f"{artifact} is in {artifact.repository!r} already")
        checks = [(a.target_repository, a.digest, str(a)) for a in artifacts]
        promoted = tuple(
            PromotedArtifact(
                a.type,
                a.target_repository,
                a.name,
                a.digest,
                (a.tag,) if a.tag is not None else (),
            )
            for a in artifacts
        )
        records = tuple(self._record(a, 200, attempt.outcome, added) for a in artifacts)
        plan = BuildPromotion(
            artifacts=artifacts,
            move=not request.copy,
            immutable=frozenset(t.key for t in targets.values() if t.immutable_tags),
            may_overwrite=frozenset(
                t.key for t in targets.values() if self._access.allows(principal, t, Action.DELETE)
            ),
            properties=added,
            status=BuildStatusRecord(
                attempt.time,
                request.status,
                request.comment,
                request.target_repository,
                attempt.actor.name,
            ),
            records=records,
            dry_run=request.dry_run,
        )
        build = {"name": info.name, "number": info.number}
        events = [
            Happened(
                "promote",
                r.target_repository,
                r.target,
                promotion_data(r) | {"repository": r.target_repository, "build": build},
                r.principal,
            )
            for r in records
        ]
        result = BuildPromoted(
            info.name, info.number, request.status, request.copy, request.dry_run, promoted, records
        )

        def apply(effects: Effects) -> BuildPromoted:
            # A dry run stores its records with its effects below, once nothing is missing.
            with_write = NO_EFFECTS if request.dry_run else effects
            missing = self._meta.builds.promote(
                info.name, info.number, plan, attempt.time, with_write
            )
            if missing:
                raise Conflict(
                    f"{self._label} cannot be promoted, nothing was: "
                    + "; ".join(missing[:10])
                    + (f"; and {len(missing) - 10} more" if len(missing) > 10 else ""),
                    {"missing": missing},
                )
            if request.dry_run:
                self._meta.promotions.record(*records, effects=effects)
            return result

        return Plan(checks, events, apply)

    async def _targets_by_type(self) -> dict[str, RepositoryRecord]:
        """The target repository of each artifact type the build holds."""
        info, request = self._build.info, self._request
        chosen = dict(request.targets or {})
        unknown = sorted(set(chosen) - set(TYPES))
        if unknown:
            raise BadRequest(
                f"targetRepos takes the artifact types {', '.join(TYPES)}, not {unknown[0]!r}"
            )
        await self._repositories.get(request.target_repository)
        targets = {}
        for kind in sorted({a.type for a in info.artifacts}):
            key = chosen.get(kind, request.target_repository)
            repository = await self._repositories.get(key)
            if repository.format != TYPES[kind]:
                raise RepositoryInvalid(
                    f"{self._label} has {kind} artifacts and repository "
                    f"{key!r} holds {repository.format}; name a {TYPES[kind]} repository for "
                    f'them with "targetRepos": {{"{kind}": KEY}}'
                )
            targets[kind] = repository
        return targets

    def refused(self, status: int, message: str) -> PromotionRecord:
        return self._record(None, status, message)

    def _record(
        self,
        artifact: BuildArtifact | None,
        status: int,
        message: str,
        properties: dict[str, list[str]] | None = None,
    ) -> PromotionRecord:
        info = self._build.info
        first = info.artifacts[0].repository if info.artifacts else ""
        label = self._label
        return self.attempt.record(
            source_repository=artifact.repository if artifact is not None else first,
            target_repository=(
                artifact.target_repository
                if artifact is not None
                else self._request.target_repository
            ),
            source=artifact.name if artifact is not None else label,
            target=artifact.name if artifact is not None else label,
            digest=artifact.digest if artifact is not None else None,
            tags=(artifact.tag,) if artifact is not None and artifact.tag else (),
            properties=properties,
            status=status,
            message=f"{label}: {message}",
        )


__all__ = ["BuildPromoted", "BuildPromotions", "PromotedArtifact", "PromotionRequest"]
