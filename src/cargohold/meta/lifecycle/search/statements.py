"""The SQL of search: one statement per item type, and what differs between SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cargohold.meta.schema import blobs, generic_files, manifest_refs, manifests, properties, tags
from cargohold.records.search import SearchCriteria, SearchPosition


@dataclass(frozen=True, slots=True)
class Plan:
    """The criteria, and how to read the page: from the rarest property, or by walking the
    keys in order."""

    criteria: SearchCriteria
    pairs: tuple[tuple[str, str], ...]  # the property filters, the rarest first
    by_property: bool  # read the page from the rarest property rather than walk the keys


# --- the two searches -------------------------------------------------------------------
#
# Each search first selects its page: the matching keys in order, up to the limit. A tag or
# a property narrows the search most, so when one is given the page is read from it (the
# tag index holds the keys in order; a property's subjects name the keys) and every other
# criterion is a lookup by key; otherwise the page walks the primary key in order and stops
# at the limit. Then, for the page's rows only, what the page shows: tags, size, properties.


def images(plan: Plan, after: SearchPosition | None, limit: int, dialect: str) -> sa.Select[Any]:
    criteria = plan.criteria
    m = manifests.c
    pairs = plan.pairs
    tag = criteria.tag
    source: sa.FromClause = manifests
    key: tuple[sa.ColumnElement[str], ...] = (m.repository, m.name, m.digest)
    if criteria.digest is None and (plan.by_property or tag is not None):
        if plan.by_property:
            driver = _images_with(pairs[0], dialect).subquery("driver")
            pairs = pairs[1:]
        else:
            t = tags.c
            driver = (
                sa.select(t.repository, t.name, t.digest).where(t.tag == tag).subquery("driver")
            )
            tag = None
        d = driver.c
        key = (d.repository, d.name, d.digest)
        source = driver.join(
            manifests, (m.repository == d.repository) & (m.name == d.name) & (m.digest == d.digest)
        )
    modified = _modified(m.repository, m.name, m.digest, m.created_at)
    query = sa.select(m.repository, m.name, m.digest, m.size, m.created_at).select_from(source)
    if criteria.repositories is not None:
        query = query.where(key[0].in_(criteria.repositories))
    if criteria.name is not None:
        query = query.where(glob(m.name, criteria.name, dialect))
    if criteria.digest is not None:
        query = query.where(m.digest == criteria.digest)
    if tag is not None:
        query = query.where(
            sa.exists().where(
                tags.c.repository == m.repository,
                tags.c.name == m.name,
                tags.c.tag == tag,
                tags.c.digest == m.digest,
            )
        )
    for pair in pairs:
        query = query.where(_image_has(pair, m.repository, m.name, m.digest))
    if criteria.created_after is not None:
        query = query.where(m.created_at >= criteria.created_after)
    if criteria.created_before is not None:
        query = query.where(m.created_at < criteria.created_before)
    if criteria.modified_after is not None:
        query = query.where(modified >= criteria.modified_after)
    if criteria.modified_before is not None:
        # Nothing is modified before it was created: the index on created_at narrows it.
        query = query.where(m.created_at < criteria.modified_before)
        query = query.where(modified < criteria.modified_before)
    if after is not None:
        query = query.where(sa.tuple_(*key) > sa.tuple_(after.repository, after.name, after.digest))
    page = _page(query.order_by(*key).limit(limit))
    k = page.c
    mine = (tags.c.repository == k.repository) & (tags.c.name == k.name)
    mine &= tags.c.digest == k.digest
    tag_names = sa.select(_joined(tags.c.tag, dialect)).where(mine).scalar_subquery()
    r = manifest_refs.c
    size = (
        sa.select(sa.func.coalesce(sa.func.sum(blobs.c.size), 0))
        .select_from(manifest_refs.join(blobs, blobs.c.digest == r.child))
        .where(r.repository == k.repository, r.name == k.name, r.digest == k.digest)
        .scalar_subquery()
    )
    p = properties.c
    on_digest = (
        sa.select(_pairs(p.key, p.value, dialect))
        .where(p.repository == k.repository, p.subject == "image:" + k.name + "@" + k.digest)
        .scalar_subquery()
    )
    on_tags = (
        sa.select(_pairs(p.key, p.value, dialect))
        .select_from(
            tags.join(
                properties,
                (p.repository == tags.c.repository)
                & (p.subject == "tag:" + tags.c.name + ":" + tags.c.tag),
            )
        )
        .where(mine)
        .scalar_subquery()
    )
    return sa.select(
        k.repository,
        k.name,
        k.digest,
        (k.size + size).label("size"),
        k.created_at,
        _modified(k.repository, k.name, k.digest, k.created_at).label("modified"),
        tag_names.label("tags"),
        on_digest.label("properties"),
        on_tags.label("tag_properties"),
    ).order_by(k.repository, k.name, k.digest)


def files(plan: Plan, after: SearchPosition | None, limit: int, dialect: str) -> sa.Select[Any]:
    criteria = plan.criteria
    g = generic_files.c
    p = properties.c
    pairs = plan.pairs
    source: sa.FromClause = generic_files
    key: tuple[sa.ColumnElement[str], ...] = (g.repository, g.path)
    if criteria.digest is None and plan.by_property:
        name, value = pairs[0]
        pairs = pairs[1:]
        driver = (
            sa.select(p.repository, sa.func.substr(p.subject, 6).label("path"))
            .where(p.key == name, p.value == value, glob(p.subject, "file:*", dialect))
            .subquery("driver")
        )
        d = driver.c
        key = (d.repository, d.path)
        source = driver.join(generic_files, (g.repository == d.repository) & (g.path == d.path))
    query = sa.select(
        g.repository, g.path, g.digest, g.size, g.created_at, g.updated_at
    ).select_from(source)
    if criteria.repositories is not None:
        query = query.where(key[0].in_(criteria.repositories))
    if criteria.name is not None:
        query = query.where(glob(g.path, criteria.name, dialect))
    if criteria.digest is not None:
        query = query.where(g.digest == criteria.digest)
    for name, value in pairs:
        query = query.where(
            sa.exists().where(
                p.repository == g.repository,
                p.subject == "file:" + g.path,
                p.key == name,
                p.value == value,
            )
        )
    if criteria.created_after is not None:
        query = query.where(g.created_at >= criteria.created_after)
    if criteria.created_before is not None:
        query = query.where(g.created_at < criteria.created_before)
    if criteria.modified_after is not None:
        query = query.where(g.updated_at >= criteria.modified_after)
    if criteria.modified_before is not None:
        query = query.where(g.updated_at < criteria.modified_before)
    if after is not None:
        # (repository, path) is the key; the digest of the position is not needed.
        query = query.where(
            (key[0] > after.repository) | ((key[0] == after.repository) & (key[1] > after.name))
        )
    page = _page(query.order_by(*key).limit(limit))
    k = page.c
    on_file = (
        sa.select(_pairs(p.key, p.value, dialect))
        .where(p.repository == k.repository, p.subject == "file:" + k.path)
        .scalar_subquery()
    )
    return sa.select(
        k.repository,
        k.path,
        k.digest,
        k.size,
        k.created_at,
        k.updated_at,
        on_file.label("properties"),
    ).order_by(k.repository, k.path)


def _modified(
    repository: sa.ColumnElement[str],
    name: sa.ColumnElement[str],
    digest: sa.ColumnElement[str],
    created: sa.ColumnElement[float],
) -> sa.ColumnElement[float]:
    """When an image last changed: its push, or a tag set on it since."""
    t = tags.c
    tagged = (
        sa.select(sa.func.max(t.updated_at))
        .where(t.repository == repository, t.name == name, t.digest == digest)
        .scalar_subquery()
    )
    return sa.case((tagged > created, tagged), else_=created)


def _page(query: sa.Select[Any]) -> sa.CTE:
    """The page's rows, computed once before anything is added to them."""
    return query.cte("page").prefix_with("MATERIALIZED")


def _images_with(pair: tuple[str, str], dialect: str) -> sa.CompoundSelect[Any]:
    """(repository, name, digest) of every image holding the property ``pair`` on its digest
    (``image:<name>@<digest>``) or on one of its tags (``tag:<name>:<tag>``), read from the
    property index, which holds the subjects: the keys are in them."""
    key, value = pair
    p = properties.c
    at = _position(p.subject, "@", dialect)
    on_digest = sa.select(
        p.repository.label("repository"),
        sa.func.substr(p.subject, 7, at - 7).label("name"),
        sa.func.substr(p.subject, at + 1).label("digest"),
    ).where(p.key == key, p.value == value, glob(p.subject, "image:*", dialect))
    rest = sa.func.substr(p.subject, 5)
    colon = _position(rest, ":", dialect)
    on_tag = (
        sa.select(tags.c.repository, tags.c.name, tags.c.digest)
        .select_from(properties)
        .join(
            tags,
            sa.and_(
                tags.c.repository == p.repository,
                tags.c.name == sa.func.substr(rest, 1, colon - 1),
                tags.c.tag == sa.func.substr(rest, colon + 1),
            ),
        )
        .where(p.key == key, p.value == value, glob(p.subject, "tag:*", dialect))
    )
    return sa.union(on_digest, on_tag)


def _image_has(
    pair: tuple[str, str],
    repository: sa.ColumnElement[str],
    name: sa.ColumnElement[str],
    digest: sa.ColumnElement[str],
) -> sa.ColumnElement[bool]:
    """The image holds the property ``pair`` on its digest or on one of its tags: lookups
    by the properties' primary key."""
    key, value = pair
    on_digest = properties.alias("has_digest")
    on_tag = properties.alias("has_tag")
    t = tags.alias("has_tags")
    return sa.or_(
        sa.exists().where(
            on_digest.c.repository == repository,
            on_digest.c.subject == "image:" + name + "@" + digest,
            on_digest.c.key == key,
            on_digest.c.value == value,
        ),
        sa.exists()
        .select_from(
            t.join(
                on_tag,
                (on_tag.c.repository == t.c.repository)
                & (on_tag.c.subject == "tag:" + t.c.name + ":" + t.c.tag)
                & (on_tag.c.key == key)
                & (on_tag.c.value == value),
            )
        )
        .where(t.c.repository == repository, t.c.name == name, t.c.digest == digest),
    )


# --- what differs between SQLite and PostgreSQL ---------------------------------------------


def _position(text: sa.ColumnElement[Any], needle: str, dialect: str) -> sa.ColumnElement[int]:
    """Where ``needle`` first occurs in ``text`` (1-based; 0 when absent)."""
    if dialect == "postgresql":
        return sa.func.strpos(text, needle)
    return sa.func.instr(text, needle)


def _joined(column: sa.ColumnElement[str], dialect: str) -> sa.ColumnElement[str]:
    """The values of ``column`` (words without spaces, such as tags) in one string."""
    if dialect == "postgresql":
        return sa.func.string_agg(column, " ")
    return sa.func.group_concat(column, " ")


def _pairs(
    key: sa.ColumnElement[str], value: sa.ColumnElement[str], dialect: str
) -> sa.ColumnElement[Any]:
    """``[[key, value], ...]`` as JSON."""
    if dialect == "postgresql":
        return sa.func.json_agg(sa.func.json_build_array(key, value))
    return sa.func.json_group_array(sa.func.json_array(key, value))


def glob(column: sa.ColumnElement[str], pattern: str, dialect: str) -> sa.ColumnElement[bool]:
    """``column`` matches the glob: ``*`` any run of characters, ``?`` one; the rest literal,
    case-sensitive. On SQLite, GLOB with a literal prefix narrows through the index."""
    if dialect == "sqlite":
        return column.op("GLOB")(pattern.replace("[", "[[]"))
    like = "".join(
        {"*": "%", "?": "_", "%": "\\%", "_": "\\_", "\\": "\\\\"}.get(c, c) for c in pattern
    )
    return column.like(like, escape="\\")


__all__ = ["Plan", "files", "glob", "images"]
