"""Promotion as metadata: an image's manifests, their references, blob links, tags and
properties copied (or moved) into another repository in one transaction. No blob is read or
written: promoting is O(1) in the size of the image."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from cargohold.core.errors import Conflict
from cargohold.core.properties import Values
from cargohold.meta import properties as props
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import release
from cargohold.meta.generic.files import get_file, place, subject
from cargohold.meta.oci.manifests import refuse_tag_change
from cargohold.meta.schema import (
    blob_links,
    generic_files,
    manifest_refs,
    manifests,
    promotions,
    tags,
)
from cargohold.meta.upsert import insert_ignore, serialize_writes, upsert
from cargohold.records.generic import GenericFileRecord, Transfer
from cargohold.records.lifecycle import ImageCopy, PromotionRecord


def closure(
    connection: sa.Connection, repository: str, name: str, digests: Iterable[str]
) -> list[str]:
    """``digests`` with every manifest they need or that refers to them: the child manifests
    of an index, and referrers (signatures, SBOMs, attestations), transitively."""
    found = set(digests)
    frontier = set(found)
    while frontier:
        children = connection.execute(
            sa.select(manifest_refs.c.child)
            .join(
                manifests,
                (manifests.c.repository == manifest_refs.c.repository)
                & (manifests.c.name == manifest_refs.c.name)
                & (manifests.c.digest == manifest_refs.c.child),
            )
            .where(
                manifest_refs.c.repository == repository,
                manifest_refs.c.name == name,
                manifest_refs.c.digest.in_(list(frontier)),
            )
        ).scalars()
        referrers = connection.execute(
            sa.select(manifests.c.digest).where(
                manifests.c.repository == repository,
                manifests.c.name == name,
                manifests.c.subject.in_(list(frontier)),
            )
        ).scalars()
        frontier = (set(children) | set(referrers)) - found
        found |= frontier
    return sorted(found)


def image_tags(connection: sa.Connection, repository: str, name: str) -> dict[str, str]:
    rows = connection.execute(
        sa.select(tags.c.tag, tags.c.digest).where(
            tags.c.repository == repository, tags.c.name == name
        )
    )
    return {row.tag: row.digest for row in rows}


def apply(connection: sa.Connection, plan: ImageCopy, now: float) -> list[str]:
    """Copy (or move) the image; returns every manifest digest the target received. The
    caller holds ``serialize_writes`` on both repositories."""
    src = (manifests.c.repository == plan.source_repository) & (
        manifests.c.name == plan.source_name
    )
    digests = closure(connection, plan.source_repository, plan.source_name, plan.top)
    target = {"repository": plan.target_repository, "name": plan.target_name}
    rows = connection.execute(sa.select(manifests).where(src & manifests.c.digest.in_(digests)))
    insert_ignore(
        connection,
        manifests,
        [
            {
                **target,
                "digest": row.digest,
                "media_type": row.media_type,
                "size": row.size,
                "artifact_type": row.artifact_type,
                "subject": row.subject,
                "annotations": row.annotations,
                "created_at": now,
            }
            for row in rows
        ],
    )
    refs = list(
        connection.execute(
            sa.select(manifest_refs.c.digest, manifest_refs.c.child).where(
                manifest_refs.c.repository == plan.source_repository,
                manifest_refs.c.name == plan.source_name,
                manifest_refs.c.digest.in_(digests),
            )
        )
    )
    insert_ignore(
        connection,
        manifest_refs,
        [{**target, "digest": ref.digest, "child": ref.child} for ref in refs],
    )
    linked = connection.execute(
        sa.select(blob_links.c.digest).where(
            blob_links.c.repository == plan.source_repository,
            blob_links.c.name == plan.source_name,
            blob_links.c.digest.in_(sorted({ref.child for ref in refs})),
        )
    ).scalars()
    insert_ignore(
        connection,
        blob_links,
        [{**target, "digest": digest, "created_at": now} for digest in linked],
    )
    for source_tag, target_tag, digest in plan.tags:
        if plan.immutable_target:
            refuse_tag_change(
                connection, plan.target_repository, plan.target_name, target_tag, digest
            )
        upsert(
            connection,
            tags,
            {**target, "tag": target_tag, "digest": digest, "updated_at": now},
            update=("digest", "updated_at"),
        )
        props.copy(
            connection,
            plan.source_repository,
            f"tag:{plan.source_name}:{source_tag}",
            plan.target_repository,
            f"tag:{plan.target_name}:{target_tag}",
        )
    for digest in digests:
        source_subject = f"image:{plan.source_name}@{digest}"
        target_subject = f"image:{plan.target_name}@{digest}"
        props.copy(
            connection,
            plan.source_repository,
            source_subject,
            plan.target_repository,
            target_subject,
        )
    for digest in plan.top:
        props.write(
            connection,
            plan.target_repository,
            f"image:{plan.target_name}@{digest}",
            plan.properties,
        )
    if plan.move:
        _remove_from_source(connection, plan, digests)
    return digests


def repositories_of(plans: list[ImageCopy]) -> list[str]:
    """Every repository the plans write to (a move deletes from the source)."""
    return [key for plan in plans for key in (plan.source_repository, plan.target_repository)]


def _remove_from_source(connection: sa.Connection, plan: ImageCopy, digests: list[str]) -> None:
    """After a move: the promoted tags leave the source, and so does every manifest nothing
    left in the source still needs."""
    repository, name = plan.source_repository, plan.source_name
    moved_tags = [source for source, _, _ in plan.tags]
    connection.execute(
        tags.delete().where(
            tags.c.repository == repository, tags.c.name == name, tags.c.tag.in_(moved_tags)
        )
    )
    for tag in moved_tags:
        props.remove(connection, repository, f"tag:{name}:{tag}", None)
    remaining = image_tags(connection, repository, name)
    still_needed = set(closure(connection, repository, name, remaining.values()))
    gone = [d for d in digests if d not in still_needed]
    connection.execute(
        manifests.delete().where(
            manifests.c.repository == repository,
            manifests.c.name == name,
            manifests.c.digest.in_(gone),
        )
    )
    for digest in gone:
        props.remove(connection, repository, f"image:{name}@{digest}", None)


def insert_record(connection: sa.Connection, record: PromotionRecord) -> None:
    connection.execute(promotions.insert().values(**record_row(record)))


def record_row(record: PromotionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "time": record.time,
        "principal": record.principal,
        "token_id": record.token_id,
        "kind": record.kind,
        "source_repository": record.source_repository,
        "target_repository": record.target_repository,
        "source": record.source,
        "target": record.target,
        "digest": record.digest,
        "tags": json.dumps(list(record.tags)),
        "copy": record.copy,
        "dry_run": record.dry_run,
        "comment": record.comment,
        "properties": json.dumps(record.properties, sort_keys=True),
        "status": record.status,
        "result": record.result,
        "message": record.message,
    }


def record_of(row: sa.Row[Any]) -> PromotionRecord:
    return PromotionRecord(
        id=row.id,
        time=row.time,
        principal=row.principal,
        token_id=row.token_id,
        kind=row.kind,
        source_repository=row.source_repository,
        target_repository=row.target_repository,
        source=row.source,
        target=row.target,
        digest=row.digest,
        tags=tuple(json.loads(row.tags)),
        copy=bool(row.copy),
        dry_run=bool(row.dry_run),
        comment=row.comment,
        properties=json.loads(row.properties),
        status=row.status,
        result=row.result,
        message=row.message,
    )


class PromotionQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def plan_tags(self, repository: str, name: str) -> dict[str, str]:
        with reading(self._engine) as connection:
            return image_tags(connection, repository, name)

    def transfer_files(
        self,
        moves: list[tuple[GenericFileRecord, str]],
        target_repository: str,
        *,
        move: bool,
        may_overwrite: bool,
        by: str,
        now: float,
        properties: Values,
        records: list[PromotionRecord],
        dry_run: bool = False,
        effects: Effects = NO_EFFECTS,
    ) -> list[Transfer]:
        """Copy (or move) each file, with its properties plus ``properties``, to its new path
        in ``target_repository`` and store ``records``, all or nothing: metadata only, the
        content is shared. A file identical to the one at the target path leaves it as it
        is. ``effects`` commit with the promotion. A dry run checks everything and changes
        nothing: it stores only ``records`` and ``effects``."""
        done: list[Transfer] = []
        with self._engine.connect() as connection, connection.begin() as transaction:
            serialize_writes(
                connection, [target_repository, *(source.repository for source, _ in moves)]
            )
            for source, target_path in moves:
                current = get_file(connection, source.repository, source.path)
                if current is None or current.digest != source.digest:
                    raise Conflict(
                        f"{source.repository}/{source.path} changed while it was being "
                        "promoted; nothing was promoted, try again"
                    )
                target = replace(
                    source,
                    repository=target_repository,
                    path=target_path,
                    created_at=now,
                    updated_at=now,
                    created_by=by,
                )
                existing = get_file(connection, target_repository, target_path)
                if existing is not None and existing.digest == source.digest:
                    target, previous = existing, None
                else:
                    previous = place(connection, target, may_overwrite)
                    if previous is not None:
                        props.remove(connection, target_repository, subject(target_path), None)
                        release(connection, [previous.digest], now)
                source_subject = subject(source.path)
                props.copy(
                    connection,
                    source.repository,
                    source_subject,
                    target_repository,
                    subject(target_path),
                )
                props.write(connection, target_repository, subject(target_path), properties)
                if move:
                    connection.execute(
                        generic_files.delete().where(
                            generic_files.c.repository == source.repository,
                            generic_files.c.path == source.path,
                        )
                    )
                    props.remove(connection, source.repository, source_subject, None)
                done.append(Transfer(source, target, previous))
            if dry_run:
                transaction.rollback()
            else:
                for record in records:
                    insert_record(connection, record)
                commit_in(connection, effects)
        if dry_run:
            self.record(*records, effects=effects)
        return done

    def promote(
        self,
        plans: list[ImageCopy],
        records: list[PromotionRecord],
        now: float,
        effects: Effects = NO_EFFECTS,
    ) -> None:
        """Apply every plan and store the records and ``effects``, all or nothing."""
        with self._engine.begin() as connection:
            serialize_writes(connection, repositories_of(plans))
            for plan in plans:
                apply(connection, plan, now)
            for record in records:
                insert_record(connection, record)
            commit_in(connection, effects)

    def record(self, *records: PromotionRecord, effects: Effects = NO_EFFECTS) -> None:
        """Store ``records`` (of a refusal, or of a dry run) with ``effects``."""
        with self._engine.begin() as connection:
            for record in records:
                insert_record(connection, record)
            commit_in(connection, effects)

    def page(
        self,
        *,
        digest: str | None,
        image: str | None,
        repository: str | None,
        readable: list[str],
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[PromotionRecord]:
        """Newest first, from or to a repository in ``readable``."""
        c = promotions.c
        query = (
            sa.select(promotions)
            .where(c.source_repository.in_(readable) | c.target_repository.in_(readable))
            .order_by(c.time.desc(), c.id.desc())
            .limit(limit)
        )
        if digest is not None:
            query = query.where(c.digest == digest)
        if image is not None:
            query = query.where((c.source == image) | (c.target == image))
        if repository is not None:
            query = query.where(
                (c.source_repository == repository) | (c.target_repository == repository)
            )
        if before is not None:
            query = query.where(sa.tuple_(c.time, c.id) < sa.tuple_(*before))
        with reading(self._engine) as connection:
            return [record_of(row) for row in connection.execute(query)]


__all__ = ["PromotionQueries", "apply", "closure", "image_tags", "insert_record"]
