"""Where-used: which artifacts hold a package, are affected by an advisory or became affected
since a time, and where each artifact is — image tags, generic files, builds. Every query
reads an index in a fixed order, so answers come in pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.insight.scans import component_of_row, finding_of_row
from cargohold.meta.schema import (
    build_artifacts,
    findings,
    generic_files,
    manifest_refs,
    manifests,
    scan_components,
    tags,
)
from cargohold.records.insight import ComponentRow, FindingRecord, Location

_CHUNK = 400


class ImpactQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def with_purl(
        self, purl_key: str, version: str | None, after: tuple[str, int] | None, limit: int
    ) -> list[tuple[str, ComponentRow]]:
        """(digest, component) of visible components with this type/namespace/name (and
        ``version``, when given), in (digest, seq) order after a position: read straight from
        the purl index."""
        c = scan_components.c
        query = sa.select(scan_components).where(c.purl_key == purl_key, c.visible)
        if version is not None:
            query = query.where(c.version == version)
        if after is not None:
            query = query.where(sa.tuple_(c.digest, c.seq) > sa.tuple_(*after))
        query = query.order_by(c.purl_key, c.visible, c.digest, c.seq).limit(limit)
        with reading(self._engine) as connection:
            return [(row.digest, component_of_row(row)) for row in connection.execute(query)]

    def with_advisories(
        self, ids: Sequence[str], after: tuple[str, str, int] | None, limit: int
    ) -> list[tuple[FindingRecord, ComponentRow]]:
        """Findings of these advisories with their components, in (digest, advisory, seq)
        order after a position."""
        f = findings.c
        query = (
            sa.select(findings, scan_components)
            .join(
                scan_components,
                sa.and_(scan_components.c.digest == f.digest, scan_components.c.seq == f.seq),
            )
            .where(f.advisory_id.in_(list(ids)))
        )
        if after is not None:
            query = query.where(sa.tuple_(f.digest, f.advisory_id, f.seq) > sa.tuple_(*after))
        query = query.order_by(f.digest, f.advisory_id, f.seq).limit(limit)
        with reading(self._engine) as connection:
            return [
                (finding_of_row(row), component_of_row(row)) for row in connection.execute(query)
            ]

    def found_since(
        self, since: float, after: tuple[float, str, str, int] | None, limit: int
    ) -> list[FindingRecord]:
        """Findings first found at ``since`` or later, oldest first, after a position."""
        query = sa.select(findings).where(findings.c.found_at >= since)
        if after is not None:
            query = query.where(
                sa.tuple_(
                    findings.c.found_at, findings.c.digest, findings.c.advisory_id, findings.c.seq
                )
                > sa.tuple_(*after)
            )
        query = query.order_by(
            findings.c.found_at, findings.c.digest, findings.c.advisory_id, findings.c.seq
        ).limit(limit)
        with reading(self._engine) as connection:
            return [finding_of_row(row) for row in connection.execute(query)]

    def locations(self, digests: Iterable[str]) -> list[tuple[str, Location]]:
        """(asked digest, location) for every image (with its tags) and generic file that is
        one of ``digests``, and every image index that lists one of them."""
        wanted = sorted(set(digests))
        out: list[tuple[str, Location]] = []
        with reading(self._engine) as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                direct = sa.select(
                    manifests.c.digest.label("asked"),
                    manifests.c.repository,
                    manifests.c.name,
                    manifests.c.digest,
                ).where(manifests.c.digest.in_(chunk))
                via_index = sa.select(
                    manifest_refs.c.child.label("asked"),
                    manifest_refs.c.repository,
                    manifest_refs.c.name,
                    manifest_refs.c.digest,
                ).where(manifest_refs.c.child.in_(chunk))
                found = sa.union(direct, via_index).subquery()
                images = list(connection.execute(sa.select(found)))
                tagged = _tags(connection, found)
                out.extend(
                    (
                        row.asked,
                        Location(
                            "image",
                            row.repository,
                            row.name,
                            row.digest,
                            tuple(sorted(tagged.get((row.repository, row.name, row.digest), []))),
                        ),
                    )
                    for row in images
                )
                file_query = sa.select(
                    generic_files.c.repository, generic_files.c.path, generic_files.c.digest
                ).where(generic_files.c.digest.in_(chunk))
                out.extend(
                    (row.digest, Location("file", row.repository, row.path, row.digest))
                    for row in connection.execute(file_query)
                )
                build_query = sa.select(build_artifacts).where(build_artifacts.c.digest.in_(chunk))
                out.extend(
                    (
                        row.digest,
                        Location(
                            "build",
                            row.repository,
                            f"{row.name}/{row.number}",
                            row.digest,
                            build_path=row.path,
                        ),
                    )
                    for row in connection.execute(build_query)
                )
        out.sort(key=lambda pair: (pair[0], pair[1].repository, pair[1].path, pair[1].digest))
        return out


def _tags(connection: sa.Connection, images: sa.Subquery) -> dict[tuple[str, str, str], list[str]]:
    """The tags of the (repository, name, digest) rows ``images`` selects, joined so that the
    tags index is searched, not the tags table scanned."""
    query = sa.select(tags.c.repository, tags.c.name, tags.c.digest, tags.c.tag).join(
        images,
        sa.and_(
            tags.c.repository == images.c.repository,
            tags.c.name == images.c.name,
            tags.c.digest == images.c.digest,
        ),
    )
    out: dict[tuple[str, str, str], list[str]] = {}
    for row in connection.execute(query):
        out.setdefault((row.repository, row.name, row.digest), []).append(row.tag)
    return out


__all__ = ["ImpactQueries"]
