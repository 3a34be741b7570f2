"""Queries on manifests, the blobs and manifests they reference, and tags."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from cargohold.core.errors import ManifestBlobUnknown, StorageUnavailable, TagImmutable
from cargohold.meta import presence
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import keep, release_children, require
from cargohold.meta.schema import manifest_refs, manifests, tags
from cargohold.meta.upsert import insert_ignore, serialize_writes, upsert
from cargohold.records.oci import ManifestPull, ManifestRecord, NewManifest, Untagged


class ManifestQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def put(self, new: NewManifest, effects: Effects = NO_EFFECTS) -> None:
        """Store the manifest row, its references, the tag and ``effects`` in one
        transaction. A tag that may not change is checked before anything is written, and
        so is that every blob the manifest needs is stored and not being collected."""
        now = time.time()
        where = {"repository": new.repository, "name": new.name}
        record = new.record
        with self._engine.begin() as connection:
            if new.tag is not None and new.immutable_tags:
                serialize_writes(connection, [new.repository])
                refuse_tag_change(connection, new.repository, new.name, new.tag, record.digest)
            claimed = record.digest in new.requires
            if not keep(connection, record.digest, record.size, now, claimed=claimed):
                raise StorageUnavailable(
                    f"manifest {record.digest} was garbage-collected as it was pushed; "
                    "push it again"
                )
            gone = require(connection, new.requires, now)
            if gone:
                raise ManifestBlobUnknown(
                    f"manifest needs blobs that are no longer stored (garbage-collected as the "
                    f"manifest was pushed): {', '.join(gone[:5])}; push them again",
                    {"digests": gone},
                )
            insert_ignore(
                connection,
                manifests,
                [
                    {
                        **where,
                        "digest": record.digest,
                        "media_type": record.media_type,
                        "size": record.size,
                        "artifact_type": record.artifact_type,
                        "subject": record.subject,
                        "annotations": json.dumps(record.annotations, sort_keys=True),
                        "created_at": now,
                    }
                ],
            )
            insert_ignore(
                connection,
                manifest_refs,
                [{**where, "digest": record.digest, "child": child} for child in new.children],
            )
            if new.tag is not None:
                upsert(
                    connection,
                    tags,
                    {**where, "tag": new.tag, "digest": record.digest, "updated_at": now},
                    update=("digest", "updated_at"),
                )
            commit_in(connection, effects)

    def get(self, repository: str, name: str, digest: str) -> ManifestRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(manifests).where(
                    manifests.c.repository == repository,
                    manifests.c.name == name,
                    manifests.c.digest == digest,
                )
            ).first()
        return None if row is None else _record(row)

    def missing(self, repository: str, name: str, digests: list[str]) -> list[str]:
        """Those of ``digests`` that are not manifests of ``repository/name``."""
        return presence.missing(self._engine, manifests, repository, name, digests)

    def references(self, repository: str, name: str, digest: str) -> bool:
        """Whether a manifest of ``repository/name`` lists ``digest`` (a layer, its config, a
        child manifest): what a remote repository may fetch for that image."""
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(manifest_refs.c.child)
                .where(
                    manifest_refs.c.repository == repository,
                    manifest_refs.c.name == name,
                    manifest_refs.c.child == digest,
                )
                .limit(1)
            ).first()
        return row is not None

    def resolve_tag(self, repository: str, name: str, tag: str) -> str | None:
        with reading(self._engine) as connection:
            return connection.execute(
                sa.select(tags.c.digest).where(
                    tags.c.repository == repository, tags.c.name == name, tags.c.tag == tag
                )
            ).scalar()

    def mark_pulled(self, pulls: Sequence[ManifestPull], every: float = 3600.0) -> int:
        """Record when each manifest was last pulled, in one transaction; a manifest whose
        recorded pull is less than ``every`` seconds older is left as it is (another process
        recorded it), and so is one that is gone. How many were recorded."""
        if not pulls:
            return 0
        c = manifests.c
        statement = (
            manifests.update()
            .where(
                c.repository == sa.bindparam("r"),
                c.name == sa.bindparam("n"),
                c.digest == sa.bindparam("d"),
                sa.or_(c.pulled_at.is_(None), c.pulled_at <= sa.bindparam("since")),
            )
            .values(pulled_at=sa.bindparam("at"))
        )
        rows = [
            {"r": p.repository, "n": p.name, "d": p.digest, "at": p.at, "since": p.at - every}
            for p in pulls
        ]
        with self._engine.begin() as connection:
            return connection.execute(statement, rows).rowcount

    def delete(
        self,
        repository: str,
        name: str,
        digest: str,
        *,
        immutable_tags: bool = False,
        effects: Effects = NO_EFFECTS,
    ) -> bool:
        """Delete the manifest, every tag that points to it and its references; commit
        ``effects`` with it if it existed."""
        removed = self.remove(
            repository, name, digest, immutable_tags=immutable_tags, effects_of=lambda _: effects
        )
        return removed is not None

    def remove(
        self,
        repository: str,
        name: str,
        digest: str,
        *,
        immutable_tags: bool = False,
        effects_of: Callable[[list[str]], Effects] = lambda tags: NO_EFFECTS,
    ) -> list[str] | None:
        """Delete the manifest, every tag that points to it and its references; commit the
        effects of the tags it removed with it. None when there was no such manifest."""
        with self._engine.begin() as connection:
            if immutable_tags:
                serialize_writes(connection, [repository])
            tagged = list(
                connection.execute(
                    sa.select(tags.c.tag)
                    .where(
                        tags.c.repository == repository,
                        tags.c.name == name,
                        tags.c.digest == digest,
                    )
                    .order_by(tags.c.tag)
                ).scalars()
            )
            if immutable_tags and tagged:
                raise TagImmutable(
                    f"{repository}/{name}@{digest} is tagged {tagged[0]!r} and repository "
                    f"{repository!r} has immutable tags: a tag can be neither overwritten "
                    "nor deleted there",
                    {"tag": tagged[0], "setting": "immutableTags"},
                )
            release_children(connection, repository, name, [digest], time.time())
            result = connection.execute(
                manifests.delete().where(
                    manifests.c.repository == repository,
                    manifests.c.name == name,
                    manifests.c.digest == digest,
                )
            )
            if result.rowcount == 0:
                return None
            commit_in(connection, effects_of(tagged))
        return tagged

    def delete_tag(
        self,
        repository: str,
        name: str,
        tag: str,
        *,
        immutable_tags: bool = False,
        effects: Effects = NO_EFFECTS,
    ) -> bool:
        """Delete the tag; commit ``effects`` with it if it existed."""
        untagged = self.untag(
            repository, name, tag, immutable_tags=immutable_tags, effects_of=lambda _: effects
        )
        return untagged is not None

    def untag(
        self,
        repository: str,
        name: str,
        tag: str,
        *,
        immutable_tags: bool = False,
        effects_of: Callable[[Untagged], Effects] = lambda untagged: NO_EFFECTS,
    ) -> Untagged | None:
        """Delete the tag and commit its effects with it; returns the manifest it pointed to
        and the tags that still do (None when there was no such tag). The manifest stays."""
        where = (tags.c.repository == repository, tags.c.name == name)
        with self._engine.begin() as connection:
            if immutable_tags:
                serialize_writes(connection, [repository])
                refuse_tag_change(connection, repository, name, tag, None)
            digest = connection.execute(sa.select(tags.c.digest).where(*where, tags.c.tag == tag))
            target = digest.scalar()
            if target is None:
                return None
            connection.execute(tags.delete().where(*where, tags.c.tag == tag))
            others = connection.execute(
                sa.select(tags.c.tag).where(*where, tags.c.digest == target).order_by(tags.c.tag)
            )
            untagged = Untagged(str(target), tuple(others.scalars()))
            commit_in(connection, effects_of(untagged))
        return untagged

    def list_tags(
        self, repository: str, name: str, last: str | None, limit: int | None
    ) -> list[str]:
        """Tags in lexical (case-insensitive) order after ``last``, at most ``limit``."""
        order = (sa.func.lower(tags.c.tag), tags.c.tag)
        query = sa.select(tags.c.tag).where(tags.c.repository == repository, tags.c.name == name)
        if last is not None:
            query = query.where(sa.tuple_(*order) > sa.tuple_(last.lower(), last))
        query = query.order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        with reading(self._engine) as connection:
            return list(connection.execute(query).scalars())

    def referrers(
        self, repository: str, name: str, subject: str, artifact_type: str | None
    ) -> list[ManifestRecord]:
        with reading(self._engine) as connection:
            query = sa.select(manifests).where(
                manifests.c.repository == repository,
                manifests.c.name == name,
                manifests.c.subject == subject,
            )
            if artifact_type is not None:
                query = query.where(manifests.c.artifact_type == artifact_type)
            rows = connection.execute(query.order_by(manifests.c.created_at, manifests.c.digest))
            return [_record(row) for row in rows]

    def names(self, last: str | None, limit: int | None, readable: list[str]) -> list[str]:
        """``repository/name`` of every image holding a manifest, in lexical order."""
        full = (manifests.c.repository + "/" + manifests.c.name).label("full")
        query = (
            sa.select(full)
            .where(manifests.c.repository.in_(readable))
            .group_by(manifests.c.repository, manifests.c.name)
            .order_by(full)
        )
        if last is not None:
            query = query.having(full > last)
        if limit is not None:
            query = query.limit(limit)
        with reading(self._engine) as connection:
            return list(connection.execute(query).scalars())


def refuse_tag_change(
    connection: sa.Connection, repository: str, name: str, tag: str, digest: str | None
) -> None:
    """Raise TagImmutable if ``tag`` exists and would point elsewhere (``digest`` None: be
    deleted). Run inside the transaction that changes the tag, so racing writers cannot both
    pass the check."""
    current = connection.execute(
        sa.select(tags.c.digest).where(
            tags.c.repository == repository, tags.c.name == name, tags.c.tag == tag
        )
    ).scalar()
    if current is not None and current != digest:
        change = "deleted" if digest is None else f"moved from {current} to {digest}"
        raise TagImmutable(
            f"tag {repository}/{name}:{tag} cannot be {change}: repository {repository!r} has "
            "immutable tags (setting immutableTags); push a new tag instead",
            {"tag": tag, "digest": current, "setting": "immutableTags"},
        )


def _record(row: sa.Row[tuple[object, ...]]) -> ManifestRecord:
    return ManifestRecord(
        digest=row.digest,
        media_type=row.media_type,
        size=row.size,
        artifact_type=row.artifact_type,
        subject=row.subject,
        annotations=json.loads(row.annotations),
    )


__all__ = ["ManifestQueries", "refuse_tag_change"]
