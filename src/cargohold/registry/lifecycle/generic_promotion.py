"""Promotion of generic files and folders from one generic repository to another, by
metadata only: the paths move (or are copied), the content they name is not read.

It needs ``promote`` on the source (and ``delete`` there to move rather than copy), ``write``
on the target (and ``delete`` there to replace a different file). Every file promoted is
recorded (kind "generic"), and so is a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from anyio import to_thread

from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.core.paths import check_path, overlaps, relocate
from cargohold.core.properties import validate
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.generic import GenericFileRecord, Transfer
from cargohold.records.lifecycle import PromotionRecord
from cargohold.registry.events.emitter import Happened
from cargohold.registry.generic.files import GenericFiles, file_event_data
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action
from cargohold.registry.lifecycle.engine import Attempt, Gates, Plan, PromotionEngine


@dataclass(frozen=True, slots=True)
class GenericPromotion:
    source_repository: str
    target_repository: str
    path: str  # a file or a folder; "" (or "/") is the whole repository
    target_path: str | None = None  # where ``path`` lands; the same path by default
    copy: bool = False
    dry_run: bool = False
    properties: Mapping[str, object] | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class FilesPromoted:
    transfers: tuple[Transfer, ...]
    records: tuple[PromotionRecord, ...]


def _clean(path: str) -> str:
    """A path as Artifactory clients send it (``/folder/``) as a repository path."""
    return path.strip("/")


class GenericPromotions:
    def __init__(
        self,
        files: GenericFiles,
        meta: MetadataStore,
        access: AccessControl,
        engine: PromotionEngine,
    ) -> None:
        self._files = files
        self._meta = meta
        self._access = access
        self._engine = engine

    async def promote(self, actor: Actor, request: GenericPromotion) -> FilesPromoted:
        """Promote, or refuse with the reason; either way the attempt is recorded."""
        attempt = self._engine.attempt(
            actor,
            "generic",
            f"generic/{request.source_repository}/promote",
            copy=request.copy,
            dry_run=request.dry_run,
            comment=request.comment,
        )
        return await self._engine.run(
            _Files(self._files, self._meta, self._access, request, attempt)
        )


class _Files:
    """A file, a folder or a whole generic repository, to a path in another (or the same)."""

    def __init__(
        self,
        files: GenericFiles,
        meta: MetadataStore,
        access: AccessControl,
        request: GenericPromotion,
        attempt: Attempt,
    ) -> None:
        self._files = files
        self._meta = meta
        self._access = access
        self._request = request
        self.attempt = attempt

    async def gates(self) -> Gates:
        request = self._request
        source = await self._files.repository(request.source_repository)
        target = await self._files.repository(request.target_repository)
        check_path(_clean(request.path), folder=True)
        check_path(self._target_root, folder=True)
        return Gates((source,), (target,), "files", guard_immutable_sources=False)

    @property
    def _target_root(self) -> str:
        request = self._request
        return _clean(request.target_path if request.target_path is not None else request.path)

    async def plan(self, gates: Gates) -> Plan[FilesPromoted]:
        request, attempt = self._request, self.attempt
        (source,), (target,) = gates.sources, gates.targets
        path, target_root = _clean(request.path), self._target_root
        principal = attempt.actor.principal
        may_overwrite = self._access.allows(principal, target, Action.DELETE)
        added = validate(request.properties or {})
        if source.key == target.key and overlaps(path, target_root):
            raise BadRequest(
                f"cannot promote {path or '/'!r} onto {target_root or '/'!r} in the same "
                "repository: one is inside the other"
            )
        files = await to_thread.run_sync(self._meta.generic.under, source.key, path)
        if not files:
            raise ResourceUnknown(
                f"no file or folder {path or '/'!r} in repository {source.key!r}", {"path": path}
            )
        moves = [(f, check_path(relocate(f.path, path, target_root))) for f in files]
        checks = [(target.key, f.digest, f"{source.key}/{f.path}") for f, _ in moves]
        records = [
            attempt.record(
                source_repository=request.source_repository,
                target_repository=request.target_repository,
                source=f.path,
                target=to,
                digest=f.digest,
                properties=added,
                status=200,
                message=attempt.outcome,
            )
            for f, to in moves
        ]
        events = promoted_events(attempt.actor, moves, target.key, moved=not request.copy)

        def apply(effects: Effects) -> FilesPromoted:
            transfers = self._meta.promotions.transfer_files(
                moves,
                target.key,
                move=not request.copy,
                may_overwrite=may_overwrite,
                by=attempt.actor.name,
                now=attempt.time,
                properties=added,
                records=records,
                dry_run=request.dry_run,
                effects=effects,
            )
            return FilesPromoted(tuple(transfers), tuple(records))

        return Plan(checks, events, apply)

    def refused(self, status: int, message: str) -> PromotionRecord:
        request = self._request
        return self.attempt.record(
            source_repository=request.source_repository,
            target_repository=request.target_repository,
            source=_clean(request.path),
            target=_clean(request.target_path or request.path),
            status=status,
            message=message,
        )


def promoted_events(
    actor: Actor, moves: Sequence[tuple[GenericFileRecord, str]], target: str, *, moved: bool
) -> list[Happened]:
    """The "promote" event of each file, at its path in ``target``."""
    return [
        Happened(
            "promote",
            target,
            path,
            file_event_data(
                replace(source, repository=target, path=path),
                actor,
                sourceRepository=source.repository,
                sourcePath=source.path,
                copy=not moved,
            ),
            actor.name,
        )
        for source, path in moves
    ]


__all__ = ["FilesPromoted", "GenericPromotion", "GenericPromotions"]
