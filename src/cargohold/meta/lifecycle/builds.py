"""Queries on builds (CI build info), their status history, and build promotion: every
artifact of a build copied (or moved) into the target repositories in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from cargohold.core.errors import TagImmutable
from cargohold.meta import properties as props
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.generic.files import place
from cargohold.meta.lifecycle.promotion import apply, image_tags, insert_record
from cargohold.meta.schema import build_artifacts, build_statuses, builds, generic_files, manifests
from cargohold.meta.upsert import serialize_writes, upsert
from cargohold.records.generic import GenericFileRecord
from cargohold.records.lifecycle import (
    BuildArtifact,
    BuildPosition,
    BuildPromotion,
    BuildRecord,
    BuildStatusRecord,
    ImageCopy,
)

Values = dict[str, list[str]]


class BuildQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def put(
        self,
        record: BuildRecord,
        effects_of: Callable[[bool], Effects] = lambda created: NO_EFFECTS,
    ) -> bool:
        """Store the build, replacing one of the same name and number (its status history
        stays), with ``effects_of(created)``; True when it is new."""
        with self._engine.begin() as connection:
            existing = connection.execute(
                sa.select(builds.c.created_at, builds.c.created_by).where(
                    builds.c.name == record.name, builds.c.number == record.number
                )
            ).first()
            upsert(
                connection,
                builds,
                {
                    "name": record.name,
                    "number": record.number,
                    "started": record.started,
                    "url": record.url,
                    "document": json.dumps(record.document, sort_keys=True),
                    "created_at": record.created_at,
                    "created_by": record.created_by,
                },
                update=("started", "url", "document", "created_at", "created_by"),
            )
            connection.execute(
                build_artifacts.delete().where(
                    build_artifacts.c.name == record.name, build_artifacts.c.number == record.number
                )
            )
            rows = artifact_rows(record.name, record.number, record.document)
            if rows:
                connection.execute(build_artifacts.insert(), rows)
            commit_in(connection, effects_of(existing is None))
        return existing is None

    def get(self, name: str, number: str) -> BuildRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(builds).where(builds.c.name == name, builds.c.number == number)
            ).first()
        return None if row is None else _record(row)

    def statuses(self, name: str, number: str) -> list[BuildStatusRecord]:
        """The build's status history, oldest first."""
        s = build_statuses.c
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(build_statuses).where(s.name == name, s.number == number).order_by(s.id)
            )
            return [
                BuildStatusRecord(row.time, row.status, row.comment, row.repository, row.principal)
                for row in rows
            ]

    def page(self, name: str | None, after: BuildPosition | None, limit: int) -> list[BuildRecord]:
        """Newest first (by start time), then by name and number."""
        c = builds.c
        query = sa.select(builds).order_by(c.started.desc(), c.name, c.number).limit(limit)
        if name is not None:
            query = query.where(c.name == name)
        if after is not None:
            query = query.where(
                (c.started < after.started)
                | (
                    (c.started == after.started)
                    & (sa.tuple_(c.name, c.number) > sa.tuple_(after.name, after.number))
                )
            )
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query)]

    def promote(
        self,
        name: str,
        number: str,
        promotion: BuildPromotion,
        now: float,
        effects: Effects = NO_EFFECTS,
    ) -> list[str]:
        """Promote every artifact, append the status and store the records and ``effects``,
        all or nothing.
        Returns the artifacts that are missing (then nothing changed); a dry run changes
        nothing either way. Raises TagImmutable or Conflict from the target repositories."""
        with self._engine.connect() as connection:
            transaction = connection.begin()
            try:
                # No other promotion or file write in these repositories until the end, so
                # the checks below and the changes after them see the same state.
                serialize_writes(
                    connection,
                    [
                        key
                        for artifact in promotion.artifacts
                        for key in (artifact.repository, artifact.target_repository)
                    ],
                )
                status = promotion.status
                connection.execute(
                    build_statuses.insert().values(
                        name=name,
                        number=number,
                        time=status.time,
                        status=status.status,
                        comment=status.comment,
                        repository=status.repository,
                        principal=status.principal,
                    )
                )
                missing = _missing(connection, promotion.artifacts)
                if missing:
                    transaction.rollback()
                    return missing
                for plan in _image_plans(promotion):
                    apply(connection, plan, now)
                for artifact in promotion.artifacts:
                    if artifact.type == "generic":
                        _copy_file(connection, artifact, promotion, now)
                for record in promotion.records:
                    insert_record(connection, record)
                commit_in(connection, effects)
            except BaseException:
                transaction.rollback()
                raise
            if promotion.dry_run:
                transaction.rollback()
            else:
                transaction.commit()
        return []


def _missing(connection: sa.Connection, artifacts: Sequence[BuildArtifact]) -> list[str]:
    """Why each artifact that is not (or no longer) as the build says cannot be promoted."""
    problems: list[str] = []
    for artifact in artifacts:
        if artifact.type == "generic":
            found = connection.execute(
                sa.select(generic_files.c.digest).where(
                    generic_files.c.repository == artifact.repository,
                    generic_files.c.path == artifact.name,
                )
            ).scalar()
            if found is None:
                problems.append(f"{artifact} is missing")
            elif found != artifact.digest:
                problems.append(f"{artifact} now holds {found}")
            continue
        present = connection.execute(
            sa.select(manifests.c.digest).where(
                manifests.c.repository == artifact.repository,
                manifests.c.name == artifact.name,
                manifests.c.digest == artifact.digest,
            )
        ).first()
        if present is None:
            problems.append(f"{artifact} is missing")
        elif artifact.tag is not None:
            tagged = image_tags(connection, artifact.repository, artifact.name).get(artifact.tag)
            if tagged != artifact.digest:
                now = "is gone" if tagged is None else f"now points to {tagged}"
                problems.append(f"{artifact}: the tag {now}")
    return problems


def _image_plans(promotion: BuildPromotion) -> list[ImageCopy]:
    """One copy per image, with the tags the build names (an artifact without a tag goes by
    digest alone)."""
    grouped: dict[tuple[str, str, str], list[BuildArtifact]] = {}
    for artifact in promotion.artifacts:
        if artifact.type == "docker":
            key = (artifact.repository, artifact.name, artifact.target_repository)
            grouped.setdefault(key, []).append(artifact)
    plans = []
    for (repository, name, target), artifacts in sorted(grouped.items()):
        moves = {(a.tag, a.tag, a.digest) for a in artifacts if a.tag is not None}
        plans.append(
            ImageCopy(
                source_repository=repository,
                source_name=name,
                target_repository=target,
                target_name=name,
                tags=tuple(sorted(moves)),
                top=tuple(sorted({a.digest for a in artifacts})),
                move=promotion.move,
                immutable_target=target in promotion.immutable,
                properties=promotion.properties,
            )
        )
    return plans


def _copy_file(
    connection: sa.Connection, artifact: BuildArtifact, promotion: BuildPromotion, now: float
) -> None:
    source = connection.execute(
        sa.select(generic_files).where(
            generic_files.c.repository == artifact.repository,
            generic_files.c.path == artifact.name,
        )
    ).one()
    target = artifact.target_repository
    existing = connection.execute(
        sa.select(generic_files.c.digest).where(
            generic_files.c.repository == target, generic_files.c.path == artifact.name
        )
    ).scalar()
    if existing != artifact.digest:
        if existing is not None and target in promotion.immutable:
            raise TagImmutable(
                f"{target}/{artifact.name} exists with other content ({existing}) and "
                f"repository {target!r} has immutable tags (setting immutableTags): what is "
                "there is never overwritten",
                {"path": artifact.name, "setting": "immutableTags"},
            )
        place(
            connection,
            GenericFileRecord(
                repository=target,
                path=artifact.name,
                digest=source.digest,
                size=source.size,
                sha1=source.sha1,
                md5=source.md5,
                created_at=now,
                updated_at=now,
                created_by=promotion.status.principal,
            ),
            target in promotion.may_overwrite,
        )
    subject = f"file:{artifact.name}"
    props.copy(connection, artifact.repository, subject, target, subject)
    props.write(connection, target, subject, promotion.properties)
    if promotion.move and (artifact.repository, artifact.name) != (target, artifact.name):
        connection.execute(
            generic_files.delete().where(
                generic_files.c.repository == artifact.repository,
                generic_files.c.path == artifact.name,
            )
        )
        props.remove(connection, artifact.repository, subject, None)


def artifact_rows(name: str, number: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The build_artifacts rows of a build document (each artifact once)."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for module in document.get("modules", []):
        for artifact in module.get("artifacts", []):
            key = (artifact["digest"], artifact["repository"], artifact["name"])
            seen[key] = {
                "name": name,
                "number": number,
                "digest": artifact["digest"],
                "repository": artifact["repository"],
                "path": artifact["name"],
                "type": artifact["type"],
            }
    return list(seen.values())


def _record(row: sa.Row[Any]) -> BuildRecord:
    return BuildRecord(
        name=row.name,
        number=row.number,
        started=row.started,
        url=row.url,
        document=json.loads(row.document),
        created_at=row.created_at,
        created_by=row.created_by,
    )


__all__ = ["BuildQueries"]
