"""Promotion: the exact bytes that passed one stage move on to the next, by digest, with a
record of who moved what, when, and why.

Docker promotion takes the image as it is: every tag asked for, the whole index (every
platform) and every referrer (signatures, SBOMs, attestations), and adds metadata rows only.
It needs ``promote`` on the source and ``write`` on the target (and ``delete`` on the source to
move rather than copy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from anyio import to_thread

from cargohold.core.errors import (
    BadRequest,
    ManifestUnknown,
    RepositoryInvalid,
    TagImmutable,
)
from cargohold.core.names import ImageName, validate_tag
from cargohold.core.properties import Values, validate
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import ImageCopy, PromotionRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.events.emitter import Happened
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.lifecycle.engine import (
    Attempt,
    Gates,
    Plan,
    PromotionEngine,
    promotion_data,
)
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
    """Docker promotion, and the record of every promotion of any kind."""

    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        engine: PromotionEngine,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._engine = engine

    async def promote_docker(self, actor: Actor, request: DockerPromotion) -> Promoted:
        """Promote, or refuse with the reason; either way the attempt is recorded."""
        attempt = self._engine.attempt(
            actor,
            "docker",
            f"docker/{request.source_repository}/promote",
            copy=request.copy,
            dry_run=request.dry_run,
            comment=request.comment,
        )
        return await self._engine.run(_Docker(self._meta, self._repositories, request, attempt))

    async def page(
        self,
        principal: Principal | None,
        where: PromotionFilter,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[PromotionRecord]:
        """Newest first: promotions from or to a repository the signed-in caller may read."""
        self._access.require_user(principal)
        readable = [
            r.key
            for r in await self._repositories.all()
            if self._access.allows(principal, r, Action.READ)
        ]

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


class _Docker:
    """Every tag asked for (all of them by default) of one image, with the whole index and
    every referrer, to another repository and image name."""

    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        request: DockerPromotion,
        attempt: Attempt,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._request = request
        self.attempt = attempt

    async def gates(self) -> Gates:
        request = self._request
        source = await self._docker_repository(request.source_repository)
        target = await self._docker_repository(request.target_repository)
        for image in (f"{source.key}/{request.image}", f"{target.key}/{self._target_image}"):
            ImageName.parse(image)
        if request.target_tag is not None and request.tag is None:
            raise BadRequest("targetTag needs tag: name the tag to promote")
        return Gates((source,), (target,), f"{source.key}/{request.image}")

    @property
    def _target_image(self) -> str:
        return self._request.target_image or self._request.image

    async def plan(self, gates: Gates) -> Plan[Promoted]:
        request = self._request
        (source,), (target,) = gates.sources, gates.targets
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
        if (source.key, request.image) == (target.key, self._target_image) and any(
            s == t for s, t, _ in moves
        ):
            raise BadRequest("source and target are the same image and tag")
        copy = ImageCopy(
            source_repository=source.key,
            source_name=request.image,
            target_repository=target.key,
            target_name=self._target_image,
            tags=moves,
            top=tuple(sorted({digest for _, _, digest in moves})),
            move=not request.copy,
            immutable_target=target.immutable_tags,
            properties=added,
        )
        first_tag: dict[str, str] = {}
        for tag, _, digest in moves:
            first_tag.setdefault(digest, tag)
        checks = [
            (target.key, digest, f"{source.key}/{request.image}:{first_tag[digest]}")
            for digest in copy.top
        ]
        records = tuple(
            self._record(digest, tuple(t for _, t, d in moves if d == digest), 200, added)
            for digest in copy.top
        )
        events = [
            Happened(
                "promote",
                r.target_repository,
                r.target,
                {**promotion_data(r), "repository": r.target_repository},
                r.principal,
            )
            for r in records
        ]
        promoted = Promoted(records, {t: d for _, t, d in moves}, len(copy.top))

        def apply(effects: Effects) -> Promoted:
            if self.attempt.dry_run:
                self._check_target_tags(copy)
                self._meta.promotions.record(*records, effects=effects)
                return replace(promoted, manifests=0)
            self._meta.promotions.promote([copy], list(records), self.attempt.time, effects)
            return promoted

        return Plan(checks, events, apply)

    def _check_target_tags(self, copy: ImageCopy) -> None:
        """A dry run says what the real one would refuse."""
        if not copy.immutable_target:
            return
        current = self._meta.promotions.plan_tags(copy.target_repository, copy.target_name)
        for _, tag, digest in copy.tags:
            if current.get(tag, digest) != digest:
                raise TagImmutable(
                    f"tag {copy.target_repository}/{copy.target_name}:{tag} exists with another "
                    f"digest and repository {copy.target_repository!r} has immutable tags "
                    "(setting immutableTags)",
                    {"tag": tag, "setting": "immutableTags"},
                )

    async def _docker_repository(self, key: str) -> RepositoryRecord:
        record = await self._repositories.get(key)
        if record.format != "docker":
            raise RepositoryInvalid(f"repository {key!r} holds {record.format}, not docker images")
        return record

    def refused(self, status: int, message: str) -> PromotionRecord:
        return self._record(None, (), status, {}, message)

    def _record(
        self,
        digest: str | None,
        target_tags: tuple[str, ...],
        status: int,
        properties: Values,
        message: str | None = None,
    ) -> PromotionRecord:
        request = self._request
        return self.attempt.record(
            source_repository=request.source_repository,
            target_repository=request.target_repository,
            source=request.image,
            target=self._target_image,
            digest=digest,
            tags=target_tags or ((request.target_tag or request.tag,) if request.tag else ()),
            properties=properties,
            status=status,
            message=message or self.attempt.outcome,
        )


__all__ = ["DockerPromotion", "Promoted", "PromotionFilter", "Promotions"]
