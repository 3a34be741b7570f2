"""The MetadataStore: the query groups over one database, and its change marker."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cargohold.meta.blobs import BlobQueries
from cargohold.meta.database import ChangeMarker, create_engine, migrate
from cargohold.meta.manifests import ManifestQueries
from cargohold.meta.repositories import RepositoryQueries
from cargohold.meta.users import UserQueries


@dataclass(frozen=True, slots=True)
class MetadataStore:
    engine: sa.Engine
    changes: ChangeMarker
    repositories: RepositoryQueries
    blobs: BlobQueries
    manifests: ManifestQueries
    users: UserQueries

    def close(self) -> None:
        self.changes.close()
        self.engine.dispose()


def open_metadata_store(url: str, *, run_migrations: bool = True) -> MetadataStore:
    engine = create_engine(url)
    if run_migrations:
        migrate(engine)
    changes = ChangeMarker(url)
    sa.event.listen(engine, "commit", changes.note_commit)
    return MetadataStore(
        engine=engine,
        changes=changes,
        repositories=RepositoryQueries(engine),
        blobs=BlobQueries(engine),
        manifests=ManifestQueries(engine),
        users=UserQueries(engine),
    )


__all__ = ["MetadataStore", "open_metadata_store"]
