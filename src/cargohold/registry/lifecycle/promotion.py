"""Promotion: the exact bytes that passed one stage move on to the next, by digest, with a
record of who moved what, when, and why.

Docker promotion takes the image as it is: every tag asked for, the whole index (every
platform) and every referrer (signatures, SBOMs, attestations), and adds metadata rows only.
It needs ``promote`` on the source and ``write`` on the target (and ``delete`` on the source to
move rather than copy).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.errors import (
    BadRequest,
    ManifestUnknown,
    RegistryError,
    RepositoryInvalid,
    TagImmutable,
)
from cargohold.core.names import ImageName, validate_tag
from cargohold.core.properties import validate
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import ImageCopy, PromotionRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import result_of
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.policy.policies import Policies
from cargohold.registry.repositories import Repositories


@dataclass(frozen=True, slots=True)
class DockerPromotion:
    source_repository: str
    target_repository: str
    image: str
    target_image: str | None = None
    tag: str | None = None
    target_tag: str | None = None
    copy: bool = False
    dry_run: bool = False
    properties: Mapping[str, object] | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Promoted:
    records: tuple[PromotionRecord, ...]
    tags: dict[str, str]  # target tag -> digest
    manifests: int


@dataclass(frozen=True, slots=True)
class PromotionFilter:
    digest: str | None = None
    image: str | None = None
    repository: str | None = None


class Promotions:
    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        clock: Callable[[], float] = time.time,
        *,
        policies: Policies | None = None,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._clock = clock
        self._policies = policies

    async def promote_docker(
        self, principal: Principal | None, request: DockerPromotion
    ) -> Promoted:
        """Promote, or refuse with the reason; either way the attempt is recorded."""
        try:
            return await self._promote_docker(principal, request)
        except RegistryError as exc:
            await self.record(self._record(principal, request, None, (), exc.status, exc.message))
            raise

    async def _promote_docker(
        self, principal: Principal | None, request: DockerPromotion
    ) -> Promoted:
        source = await self._docker_repository(request.source_repository)
        target = await self._docker_repository(request.target_repository)
        target_image = request.target_image or request.image
        for image in (f"{source.key}/{request.image}", f"{target.key}/{target_image}"):
            ImageName.parse(image)
        if request.target_tag is not None and request.tag is None:
            raise BadRequest("targetTag needs tag: name the tag to promote")
        self._access.check(principal, source, Action.PROMOTE)
        if not request.copy:
            self._access.check(principal, source, Action.DELETE)
        self._access.check(principal, target, Action.WRITE)
        if not request.copy and source.immutable_tags:
            raise TagImmutable(
                f"moving out of repository {source.key!r} would delete its tags, and it has "
                "immutable tags (setting immutableTags); promote with copy instead",
                {"setting": "immutableTags"},
            )
        added = validate(request.properties or {})

        existing = await to_thread.run_sync(
            self._meta.promotions.plan_tags, source.key, request.image
        )
        if request.tag is not None:
            validate_tag(request.tag)
            if request.tag not in existing:
                raise ManifestUnknown(
                    f"tag {request.tag!r} not found in {source.key}/{request.image}",
                    {"tag": request.tag},
                )
            target_tag = validate_tag(request.target_tag or request.tag)
            moves: tuple[tuple[str, str, str], ...] = (
                (request.tag, target_tag, existing[request.tag]),
            )
        else:
            if not existing:
                raise ManifestUnknown(f"{source.key}/{request.image} has no tags to promote")
            moves = tuple((tag, tag, digest) for tag, digest in sorted(existing.items()))
        if (source.key, request.image) == (target.key, target_image) and any(
            s == t for s, t, _ in moves
        ):
            raise BadRequest("source and target are the same image and tag")

        plan = ImageCopy(
            source_repository=source.key,
            source_name=request.image,
            target_repository=target.key,
            target_name=target_image,
            tags=moves,
            top=tuple(sorted({digest for _, _, digest in moves})),
            move=not request.copy,
            immutable_target=target.immutable_tags,
            properties=added,
        )
        if self._policies is not None:  # policies watching the target may refuse it
            for digest in plan.top:
                tag = next(s for s, _, d in moves if d == digest)
                subject = f"{source.key}/{request.image}:{tag}"
                await self._policies.check_promotion(target.key, digest, subject)
        records = tuple(
            self._record(
                principal,
                request,
                digest,
                tuple(t for _, t, d in moves if d == digest),
                200,
                "dry run: nothing changed" if request.dry_run else "promoted",
            )
            for digest in plan.top
        )
        if request.dry_run:
            await self._check_target_tags(plan)
            for record in records:
                await self.record(record)
            return Promoted(records, {t: d for _, t, d in moves}, 0)
        now = self._clock()
        await to_thread.run_sync(self._meta.promotions.promote, [plan], list(records), now)
        return Promoted(records, {t: d for _, t, d in moves}, len(plan.top))

    async def _check_target_tags(self, plan: ImageCopy) -> None:
        """A dry run says what the real one would refuse."""
        if not plan.immutable_target:
            return
        current = await to_thread.run_sync(
            self._meta.promotions.plan_tags, plan.target_repository, plan.target_name
        )
        for _, tag, digest in plan.tags:
            if current.get(tag, digest) != digest:
                raise TagImmutable(
                    f"tag {plan.target_repository}/{plan.target_name}:{tag} exists with another "
                    f"digest and repository {plan.target_repository!r} has immutable tags "
                    "(setting immutableTags)",
                    {"tag": tag, "setting": "immutableTags"},
                )

    async def _docker_repository(self, key: str) -> RepositoryRecord:
        record = await self._repositories.get(key)
        if record.format != "docker":
            raise RepositoryInvalid(f"repository {key!r} holds {record.format}, not docker images")
        return record

    def _record(
        self,
        principal: Principal | None,
        request: DockerPromotion,
        digest: str | None,
        target_tags: tuple[str, ...],
        status: int,
        message: str,
    ) -> PromotionRecord:
        return PromotionRecord(
            id=secrets.token_hex(8),
            time=self._clock(),
            principal=principal.name if principal is not None and principal.name else "anonymous",
            token_id=principal.token_id if principal is not None else None,
            kind="docker",
            source_repository=request.source_repository,
            target_repository=request.target_repository,
            source=request.image,
            target=request.target_image or request.image,
            digest=digest,
            tags=target_tags or ((request.target_tag or request.tag,) if request.tag else ()),
            copy=request.copy,
            dry_run=request.dry_run,
            comment=request.comment,
            properties=validate(request.properties or {}) if status < 400 else {},
            status=status,
            result="dry-run" if request.dry_run and status < 400 else result_of(status),
            message=message,
        )

    async def record(self, record: PromotionRecord) -> None:
        await to_thread.run_sync(self._meta.promotions.record, record)

    async def page(
        self,
        where: PromotionFilter,
        readable: list[str],
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[PromotionRecord]:
        """Newest first: promotions from or to a repository in ``readable``."""

        def load() -> list[PromotionRecord]:
            return self._meta.promotions.page(
                digest=where.digest,
                image=where.image,
                repository=where.repository,
                readable=readable,
                before=before,
                limit=limit,
            )

        return await to_thread.run_sync(load)


__all__ = ["DockerPromotion", "Promoted", "PromotionFilter", "Promotions"]
