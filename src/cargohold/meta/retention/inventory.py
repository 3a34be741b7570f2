"""What retention reads and removes in one image of a docker repository.

``inventory`` reads the image's tags, manifests and the holds on them in one snapshot;
``remove`` deletes what a run chose, each tag and manifest re-checked in the transaction
that deletes it, so a push that lands between the plan and the removal wins: a tag moved
to another manifest stays, a manifest tagged again, listed by a new index or referred to
by a new signature stays.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import release_children
from cargohold.meta.schema import (
    manifest_refs,
    manifests,
    promotions,
    properties,
    repositories,
    tags,
)
from cargohold.records.retention import Holds, ImageInventory, ManifestFact, Removal, TagFact

PROTECT = "retention.protect"


class RetentionInventoryQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def docker_repositories(self) -> list[str]:
        """The keys of every docker repository, in order."""
        query = (
            sa.select(repositories.c.key)
            .where(repositories.c.format == "docker")
            .order_by(repositories.c.key)
        )
        with reading(self._engine) as connection:
            return list(connection.execute(query).scalars())

    def images(self, repository: str) -> list[str]:
        """The names of the images that hold a manifest in ``repository``, in order."""
        query = (
            sa.select(manifests.c.name)
            .where(manifests.c.repository == repository)
            .group_by(manifests.c.name)
            .order_by(manifests.c.name)
        )
        with reading(self._engine) as connection:
            return list(connection.execute(query).scalars())

    def inventory(self, repository: str, name: str, promoted_since: float) -> ImageInventory:
        """The image's tags and manifests, and what holds them (a promotion into it counts
        when it happened at ``promoted_since`` or later)."""
        where_tags = (tags.c.repository == repository) & (tags.c.name == name)
        where_manifests = (manifests.c.repository == repository) & (manifests.c.name == name)
        refs = manifest_refs.c
        with reading(self._engine) as connection:
            found_tags = tuple(
                TagFact(row.tag, row.digest, row.updated_at)
                for row in connection.execute(
                    sa.select(tags.c.tag, tags.c.digest, tags.c.updated_at)
                    .where(where_tags)
                    .order_by(tags.c.tag)
                )
            )
            rows = connection.execute(
                sa.select(
                    manifests.c.digest,
                    manifests.c.created_at,
                    manifests.c.subject,
                    manifests.c.pulled_at,
                )
                .where(where_manifests)
                .order_by(manifests.c.digest)
            ).all()
            known = {row.digest for row in rows}
            children: dict[str, list[str]] = {}
            for ref in connection.execute(
                sa.select(refs.digest, refs.child)
                .where(refs.repository == repository, refs.name == name)
                .order_by(refs.digest, refs.child)
            ):
                if ref.child in known:  # a manifest, not a layer or a config
                    children.setdefault(ref.digest, []).append(ref.child)
            holds = _holds(connection, repository, name, promoted_since)
        found_manifests = tuple(
            ManifestFact(
                row.digest,
                row.created_at,
                row.subject,
                tuple(children.get(row.digest, ())),
                row.pulled_at,
            )
            for row in rows
        )
        return ImageInventory(repository, name, found_tags, found_manifests, holds)

    def remove(
        self,
        repository: str,
        name: str,
        chosen: Sequence[Removal],
        effects_of: Callable[[list[Removal]], Effects] = lambda gone: NO_EFFECTS,
    ) -> list[Removal]:
        """Delete the tags and untagged manifests ``chosen`` (manifests in the order given:
        an index before its children, a signature before its subject), each only if it is
        still as the plan saw it; commit ``effects_of`` what went with it. Nothing goes from
        a repository whose tags have become immutable."""
        gone: list[Removal] = []
        with self._engine.begin() as connection:
            immutable = connection.execute(
                sa.select(repositories.c.immutable_tags).where(repositories.c.key == repository)
            ).scalar()
            if immutable is None or immutable:
                return []
            for removal in chosen:
                removed = (
                    _remove_tag(connection, repository, name, removal.tag, removal.digest)
                    if removal.tag is not None
                    else _remove_manifest(connection, repository, name, removal.digest)
                )
                if removed:
                    gone.append(removal)
            if gone:
                commit_in(connection, effects_of(gone))
        return gone


def _holds(connection: sa.Connection, repository: str, name: str, since: float) -> Holds:
    immutable = connection.execute(
        sa.select(repositories.c.immutable_tags).where(repositories.c.key == repository)
    ).scalar()
    p = promotions.c
    promoted = connection.execute(
        sa.select(p.digest)
        .where(
            p.target_repository == repository,
            p.target == name,
            p.digest.is_not(None),
            p.dry_run.is_(False),
            p.status < 400,
            p.time >= since,
        )
        .group_by(p.digest)
    ).scalars()
    image_prefix, tag_prefix = f"image:{name}@", f"tag:{name}:"
    protected = connection.execute(
        sa.select(properties.c.subject).where(
            properties.c.repository == repository,
            properties.c.key == PROTECT,
            sa.func.lower(properties.c.value) == "true",
            sa.or_(
                sa.func.substr(properties.c.subject, 1, len(image_prefix)) == image_prefix,
                sa.func.substr(properties.c.subject, 1, len(tag_prefix)) == tag_prefix,
            ),
        )
    ).scalars()
    subjects = list(protected)
    return Holds(
        immutable=bool(immutable),
        promoted=frozenset(d for d in promoted if d),
        protected_digests=frozenset(
            s.removeprefix(image_prefix) for s in subjects if s.startswith(image_prefix)
        ),
        protected_tags=frozenset(
            s.removeprefix(tag_prefix) for s in subjects if s.startswith(tag_prefix)
        ),
    )


def _remove_tag(
    connection: sa.Connection, repository: str, name: str, tag: str, digest: str
) -> bool:
    """Delete the tag if it still points to ``digest``."""
    result = connection.execute(
        tags.delete().where(
            tags.c.repository == repository,
            tags.c.name == name,
            tags.c.tag == tag,
            tags.c.digest == digest,
        )
    )
    return result.rowcount > 0


def _remove_manifest(connection: sa.Connection, repository: str, name: str, digest: str) -> bool:
    """Delete the manifest if no tag points to it, no manifest of the image lists it and none
    refers to it as its subject."""
    tagged = sa.exists().where(
        tags.c.repository == repository, tags.c.name == name, tags.c.digest == digest
    )
    listed = sa.exists().where(
        manifest_refs.c.repository == repository,
        manifest_refs.c.name == name,
        manifest_refs.c.child == digest,
    )
    referrers = manifests.alias("referrers")
    referred = sa.exists().where(
        referrers.c.repository == repository,
        referrers.c.name == name,
        referrers.c.subject == digest,
    )
    # What the manifest held is unreferenced from now: the collector's grace period starts.
    release_children(connection, repository, name, [digest], time.time())
    result = connection.execute(
        manifests.delete().where(
            manifests.c.repository == repository,
            manifests.c.name == name,
            manifests.c.digest == digest,
            ~tagged,
            ~listed,
            ~referred,
        )
    )
    return result.rowcount > 0


__all__ = ["PROTECT", "RetentionInventoryQueries"]
