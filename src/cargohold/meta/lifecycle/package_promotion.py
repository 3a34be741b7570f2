"""Promotion of a package version (PyPI, npm) to another repository of its format: its
files, its document, its properties and the dist-tags that point at it, copied (or moved) in
one transaction with the promotion records. Metadata only: the content is shared."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from cargohold.core.errors import Conflict, ResourceUnknown
from cargohold.core.properties import Values, package_subject
from cargohold.meta import properties as props
from cargohold.meta.deb.rows import copy_entries
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.generic.files import subject
from cargohold.meta.lifecycle.promotion import PromotionQueries, insert_record
from cargohold.meta.packages.rows import add, remove, version_in
from cargohold.meta.upsert import serialize_writes
from cargohold.records.lifecycle import PromotionRecord
from cargohold.records.packages import PackageFile, PackageVersion


@dataclass(frozen=True, slots=True)
class VersionTransfer:
    """What a version promotion did: the version and files as they now are in the target;
    ``unchanged`` when the target held the same files already."""

    version: PackageVersion
    files: tuple[PackageFile, ...]
    unchanged: bool


class PackagePromotionQueries:
    def __init__(self, engine: sa.Engine, promotions: PromotionQueries) -> None:
        self._engine = engine
        self._promotions = promotions

    def transfer(
        self,
        source_repository: str,
        target_repository: str,
        name: str,
        version: str,
        *,
        move: bool,
        by: str,
        now: float,
        properties: Values,
        records: list[PromotionRecord],
        dry_run: bool = False,
        effects: Effects = NO_EFFECTS,
    ) -> VersionTransfer:
        """Copy (or move) version ``version`` of package ``name``, all or nothing.

        The target keeps a version it already holds with the same files (the promotion is
        then only recorded); a version there with other files is a Conflict. A dry run checks
        everything and stores only ``records`` and ``effects``."""
        with self._engine.connect() as connection, connection.begin() as transaction:
            serialize_writes(connection, [target_repository, source_repository])
            found, files, tags = version_in(connection, source_repository, name, version)
            if found is None:
                raise ResourceUnknown(
                    f"no version {version} of package {name} in repository {source_repository!r}",
                    {"name": name, "version": version},
                )
            there, there_files, _ = version_in(connection, target_repository, name, version)
            unchanged = there is not None and _same(files, there_files)
            if there is not None and not unchanged:
                raise Conflict(
                    f"{name} {version} is in repository {target_repository!r} already, with "
                    "other files; delete it there first, or promote another version",
                    {"name": name, "version": version},
                )
            target = replace(found, repository=target_repository, created_at=now, created_by=by)
            copied = tuple(
                replace(
                    f,
                    file=replace(
                        f.file,
                        repository=target_repository,
                        created_at=now,
                        updated_at=now,
                        created_by=by,
                    ),
                )
                for f in files
            )
            if unchanged and there is not None:
                target, copied = there, tuple(there_files)
            else:
                add(
                    connection,
                    target,
                    copied,
                    [replace(tag, repository=target_repository) for tag in tags],
                )
                for one in files:
                    props.copy(
                        connection,
                        source_repository,
                        subject(one.file.path),
                        target_repository,
                        subject(one.file.path),
                    )
                copy_entries(
                    connection, source_repository, target_repository, [f.file.path for f in files]
                )
            version_subject = package_subject(name, version)
            props.copy(
                connection, source_repository, version_subject, target_repository, version_subject
            )
            props.write(connection, target_repository, version_subject, properties)
            if move:
                remove(connection, source_repository, name, version, now)
            if dry_run:
                transaction.rollback()
            else:
                for record in records:
                    insert_record(connection, record)
                commit_in(connection, effects)
        if dry_run:
            self._promotions.record(*records, effects=effects)
        return VersionTransfer(target, copied, unchanged)


def _same(files: list[PackageFile], others: list[PackageFile]) -> bool:
    return sorted((f.filename, f.file.digest) for f in files) == sorted(
        (f.filename, f.file.digest) for f in others
    )


__all__ = ["PackagePromotionQueries", "VersionTransfer"]
