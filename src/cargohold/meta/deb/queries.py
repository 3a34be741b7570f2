"""Queries of Debian repositories: where each package file is listed, what a
distribution's indexes are made of, and publishing the indexes of a distribution in one
transaction.

Indexes are files of the repository's tree (``dists/DIST/...``, ``generic_files`` rows), so
storage, backup and the collector treat them as any file. A distribution's indexes are
rendered outside any transaction from the inputs read at one moment; they are published
only if those inputs are still what they were (``inputs``), in the transaction that writes
every index file of the distribution at once: a reader never sees a Release naming files
that are not there, and of two writers racing, the later publishes what both wrote."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cargohold.core.errors import StorageUnavailable
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.gc.holders import keep, release
from cargohold.meta.generic.files import place
from cargohold.meta.packages.rows import file_of, files_query
from cargohold.meta.schema import deb_entries, generic_files, package_files, signing_keys
from cargohold.meta.upsert import insert_new, serialize_writes
from cargohold.records.deb import DebEntry, Listed
from cargohold.records.generic import GenericFileRecord


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a distribution's indexes were rendered from: the fingerprint of what it lists
    (``DebQueries.listed``), and the keys that signed them, at ``at``."""

    listed: str
    keys: Sequence[str]
    at: float


class DebQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def distributions(self, repository: str) -> list[str]:
        with reading(self._engine) as connection:
            return list(
                connection.execute(
                    sa.select(deb_entries.c.distribution)
                    .where(deb_entries.c.repository == repository)
                    .distinct()
                    .order_by(deb_entries.c.distribution)
                ).scalars()
            )

    def entries(self, repository: str, path: str) -> list[DebEntry]:
        """Where the package file at ``path`` is listed."""
        with reading(self._engine) as connection:
            rows = connection.execute(
                sa.select(deb_entries).where(
                    deb_entries.c.repository == repository, deb_entries.c.path == path
                )
            )
            return [_entry(row) for row in rows]

    def add(self, entries: Sequence[DebEntry], effects: Effects = NO_EFFECTS) -> None:
        """List package files (already published) where ``entries`` say; listing one again
        changes nothing. A file's architecture is the one its newest entry says, in every
        distribution that lists it (other bytes at its path may be for another)."""
        with self._engine.begin() as connection:
            serialize_writes(connection, sorted({e.repository for e in entries}))
            for entry in entries:
                insert_new(connection, deb_entries, _values(entry))
                connection.execute(
                    deb_entries.update()
                    .where(
                        deb_entries.c.repository == entry.repository,
                        deb_entries.c.path == entry.path,
                    )
                    .values(architecture=entry.architecture)
                )
            commit_in(connection, effects)

    def listed(self, repository: str, distribution: str) -> tuple[list[Listed], str]:
        """The package files listed in ``distribution`` with their control paragraphs, by
        component, architecture and path; and the fingerprint of these inputs."""
        with reading(self._engine) as connection:
            return _listed(connection, repository, distribution)

    def publish(
        self,
        repository: str,
        distribution: str,
        inputs: Inputs,
        files: Sequence[GenericFileRecord],
        remove: Sequence[str] = (),
    ) -> bool:
        """Write the index ``files`` of ``distribution`` (their blobs claimed and stored) and
        remove the index files at ``remove``, in one transaction, if the distribution's
        inputs are still ``inputs``; False (nothing written) when they changed meanwhile."""
        with self._engine.begin() as connection:
            serialize_writes(connection, [repository])
            if _listed(connection, repository, distribution)[1] != inputs.listed:
                return False
            if _signing(connection, repository, inputs.at) != sorted(inputs.keys):
                return False
            gone: list[str] = []
            for record in files:
                if not keep(
                    connection, record.digest, record.size, record.updated_at, claimed=True
                ):
                    raise StorageUnavailable(
                        f"an index of {repository}/dists/{distribution} was being "
                        "garbage-collected as it was written; retry"
                    )
                previous = place(connection, record, may_overwrite=True)
                if previous is not None and previous.digest != record.digest:
                    gone.append(previous.digest)
            if remove:
                condition = sa.and_(
                    generic_files.c.repository == repository, generic_files.c.path.in_(remove)
                )
                gone += connection.execute(
                    sa.select(generic_files.c.digest).where(condition)
                ).scalars()
                connection.execute(generic_files.delete().where(condition))
            if files:
                release(connection, gone, files[0].updated_at)
        return True


def _listed(
    connection: sa.Connection, repository: str, distribution: str
) -> tuple[list[Listed], str]:
    query = (
        files_query(metadata=True)
        .add_columns(deb_entries.c.component, deb_entries.c.architecture)
        .join(
            deb_entries,
            sa.and_(
                deb_entries.c.repository == package_files.c.repository,
                deb_entries.c.path == package_files.c.path,
            ),
        )
        .where(deb_entries.c.repository == repository, deb_entries.c.distribution == distribution)
        .order_by(deb_entries.c.component, deb_entries.c.architecture, deb_entries.c.path)
    )
    listed = []
    fingerprint = hashlib.sha256()
    for row in connection.execute(query):
        file = file_of(row)
        entry = DebEntry(repository, distribution, row.component, file.file.path, row.architecture)
        listed.append(Listed(entry, file))
        fingerprint.update(
            f"{entry.component}\0{entry.architecture}\0{entry.path}\0{file.file.digest}\n".encode()
        )
    return listed, fingerprint.hexdigest()


def _signing(connection: sa.Connection, repository: str, at: float) -> list[str]:
    """The fingerprints of the keys that sign for ``repository`` at ``at``."""
    table = signing_keys.c
    return sorted(
        connection.execute(
            sa.select(table.fingerprint).where(
                table.repository == repository,
                sa.or_(table.retire_at.is_(None), table.retire_at > at),
            )
        ).scalars()
    )


def _entry(row: sa.Row[tuple[object, ...]]) -> DebEntry:
    return DebEntry(row.repository, row.distribution, row.component, row.path, row.architecture)


def _values(entry: DebEntry) -> dict[str, object]:
    return {
        "repository": entry.repository,
        "distribution": entry.distribution,
        "component": entry.component,
        "path": entry.path,
        "architecture": entry.architecture,
    }


__all__ = ["DebQueries", "Inputs"]
