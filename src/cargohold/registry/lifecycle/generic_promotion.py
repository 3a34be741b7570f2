"""Promotion of generic files and folders from one generic repository to another, by
metadata only: the paths move (or are copied), the content they name is not read.

It needs ``promote`` on the source (and ``delete`` there to move rather than copy), ``write``
on the target (and ``delete`` there to replace a different file). Every file promoted is
recorded (kind "generic"), and so is a refusal.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.errors import BadRequest, RegistryError, ResourceUnknown
from cargohold.core.paths import check_path, overlaps, relocate
from cargohold.core.properties import Values, validate
from cargohold.meta.store import MetadataStore
from cargohold.records.generic import Transfer
from cargohold.records.lifecycle import PromotionRecord
from cargohold.registry.generic.files import GenericFiles
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, result_of
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.jobs import JobQueue
from cargohold.registry.policy.policies import Policies


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
        jobs: JobQueue,
        clock: Callable[[], float] = time.time,
        *,
        policies: Policies | None = None,
    ) -> None:
        self._files = files
        self._meta = meta
        self._access = access
        self._jobs = jobs
        self._clock = clock
        self._policies = policies

    async def promote(
        self, principal: Principal | None, request: GenericPromotion
    ) -> FilesPromoted:
        """Promote, or refuse with the reason; either way the attempt is recorded."""
        try:
            return await self._promote(principal, request)
        except RegistryError as exc:
            record = self._record(principal, request, None, None, exc.status, exc.message, {})
            await to_thread.run_sync(self._meta.promotions.record, record)
            raise

    async def _promote(
        self, principal: Principal | None, request: GenericPromotion
    ) -> FilesPromoted:
        source = await self._files.repository(request.source_repository)
        target = await self._files.repository(request.target_repository)
        path = check_path(_clean(request.path), folder=True)
        target_root = check_path(
            _clean(request.target_path if request.target_path is not None else request.path),
            folder=True,
        )
        self._access.check(principal, source, Action.PROMOTE)
        if not request.copy:
            self._access.check(principal, source, Action.DELETE)
        self._access.check(principal, target, Action.WRITE)
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
        if self._policies is not None:  # policies watching the target may refuse a file
            for f, _ in moves:
                subject = f"{source.key}/{f.path}"
                await self._policies.check_promotion(target.key, f.digest, subject)
        message = "dry run: nothing changed" if request.dry_run else "promoted"
        records = [
            self._record(principal, request, f.path, to, 200, message, added, f.digest)
            for f, to in moves
        ]
        now = self._clock()
        effects = await self._files.promoted(Actor(principal), moves, target.key, not request.copy)

        def transfer() -> list[Transfer]:
            return self._meta.promotions.transfer_files(
                moves,
                target.key,
                move=not request.copy,
                may_overwrite=may_overwrite,
                by=Actor(principal).name,
                now=now,
                properties=added,
                records=records,
                dry_run=request.dry_run,
                effects=effects,
            )

        transfers = await to_thread.run_sync(transfer)
        if not request.dry_run:
            self._jobs.committed(effects)
        return FilesPromoted(tuple(transfers), tuple(records))

    def _record(
        self,
        principal: Principal | None,
        request: GenericPromotion,
        source: str | None,
        target: str | None,
        status: int,
        message: str,
        properties: Values,
        digest: str | None = None,
    ) -> PromotionRecord:
        return PromotionRecord(
            id=secrets.token_hex(8),
            time=self._clock(),
            principal=Actor(principal).name,
            token_id=principal.token_id if principal is not None else None,
            kind="generic",
            source_repository=request.source_repository,
            target_repository=request.target_repository,
            source=source if source is not None else _clean(request.path),
            target=target if target is not None else _clean(request.target_path or request.path),
            digest=digest,
            tags=(),
            copy=request.copy,
            dry_run=request.dry_run,
            comment=request.comment,
            properties=properties,
            status=status,
            result="dry-run" if request.dry_run and status < 400 else result_of(status),
            message=message,
        )


__all__ = ["FilesPromoted", "GenericPromotion", "GenericPromotions"]
