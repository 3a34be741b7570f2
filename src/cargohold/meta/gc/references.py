"""Why is this blob still here: everything that holds or links one digest."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import blob_links, blobs, generic_files, manifest_refs, manifests, tags
from cargohold.records.gc import BlobHolder, BlobRecord

LIMIT = 1000  # holders of each kind listed at most


class ReferenceQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def blob(self, digest: str) -> BlobRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(blobs).where(blobs.c.digest == digest)).first()
        if row is None:
            return None
        return BlobRecord(row.digest, row.size, row.created_at, row.touched_at, row.deleting_since)

    def holders(self, digest: str) -> list[BlobHolder]:
        """The manifests whose body it is, the manifests that refer to it, the files that
        hold it (each kind up to ``LIMIT``), then the images that may read it."""
        with reading(self._engine) as connection:
            found = [
                BlobHolder("manifest", row.repository, row.name, row.digest)
                for row in connection.execute(
                    sa.select(manifests.c.repository, manifests.c.name, manifests.c.digest)
                    .where(manifests.c.digest == digest)
                    .order_by(manifests.c.repository, manifests.c.name)
                    .limit(LIMIT)
                )
            ]
            found += [
                BlobHolder("layer", row.repository, row.name, row.digest)
                for row in connection.execute(
                    sa.select(
                        manifest_refs.c.repository, manifest_refs.c.name, manifest_refs.c.digest
                    )
                    .where(manifest_refs.c.child == digest)
                    .order_by(
                        manifest_refs.c.repository, manifest_refs.c.name, manifest_refs.c.digest
                    )
                    .limit(LIMIT)
                )
            ]
            found = [_tagged(connection, holder) for holder in found]
            found += [
                BlobHolder("file", row.repository, row.path)
                for row in connection.execute(
                    sa.select(generic_files.c.repository, generic_files.c.path)
                    .where(generic_files.c.digest == digest)
                    .order_by(generic_files.c.repository, generic_files.c.path)
                    .limit(LIMIT)
                )
            ]
            found += [
                BlobHolder("link", row.repository, row.name)
                for row in connection.execute(
                    sa.select(blob_links.c.repository, blob_links.c.name)
                    .where(blob_links.c.digest == digest)
                    .order_by(blob_links.c.repository, blob_links.c.name)
                    .limit(LIMIT)
                )
            ]
        return found


def _tagged(connection: sa.Connection, holder: BlobHolder) -> BlobHolder:
    names = connection.execute(
        sa.select(tags.c.tag)
        .where(
            tags.c.repository == holder.repository,
            tags.c.name == holder.name,
            tags.c.digest == holder.digest,
        )
        .order_by(tags.c.tag)
        .limit(LIMIT)
    ).scalars()
    return BlobHolder(holder.kind, holder.repository, holder.name, holder.digest, tuple(names))


__all__ = ["ReferenceQueries"]
