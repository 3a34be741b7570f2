"""Uploading a package to a Debian repository, the way Artifactory takes it: ``PUT`` of the
.deb at its path in the pool, naming the distributions and components to list it in (and,
optionally, the architecture it is for). The package's control paragraph is read from the
file itself and checked against what the upload says; the file is published, listed, and
the indexes of each distribution it went into are published again before the upload is
answered, so the next ``apt-get update`` sees it.

Uploading the same bytes to the same path again lists them where the new upload says (a
retried upload succeeds); other bytes at a path that holds a file are refused unless the
repository allows overwriting.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass, field

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.errors import BadRequest, Conflict
from cargohold.core.paths import check_path
from cargohold.meta.store import MetadataStore
from cargohold.records.deb import DebEntry
from cargohold.records.packages import PackageFile, PackageVersion
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.deb.control import ARCHITECTURE, Control, read_control
from cargohold.registry.deb.publishing import FORMAT, DebIndexes
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action
from cargohold.registry.packages.files import NewFile, PackageFiles, Staged

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # a distribution's or component's
POOL = "pool/"
MAX_LISTED = 16  # distributions, and components, one upload lists a package in
MAX_FILENAME = 255
SUFFIXES = (".deb", ".udeb")


@dataclass(frozen=True, slots=True)
class DebUpload:
    """Where an uploaded package goes: its path in the pool, and where it is listed."""

    path: str
    distributions: Sequence[str]
    components: Sequence[str]
    architecture: str | None = None  # checked against the package's own when given
    claimed: Checksums = field(default_factory=Checksums)  # what the client says they are


@dataclass(frozen=True, slots=True)
class Uploaded:
    file: PackageFile
    control: Control
    entries: list[DebEntry]


class DebUploads:
    def __init__(
        self,
        meta: MetadataStore,
        packages: PackageFiles,
        indexes: DebIndexes,
        clock: Callable[[], float],
    ) -> None:
        self._meta = meta
        self._packages = packages
        self._indexes = indexes
        self._clock = clock

    async def target(self, actor: Actor, key: str) -> RepositoryRecord:
        """The local Debian repository ``key``, which the caller may write."""
        record = await self._packages.repository(key, FORMAT)
        if record.kind != "local":
            raise BadRequest(
                f"repository {key!r} is a {record.kind} repository: upload packages to a "
                "local Debian repository"
            )
        return await self._packages.allowed(actor.principal, key, FORMAT, Action.WRITE)

    async def upload(
        self,
        actor: Actor,
        record: RepositoryRecord,
        upload: DebUpload,
        chunks: AsyncIterable[bytes],
        length: int | None = None,
    ) -> Uploaded:
        _checked(upload)
        filename = upload.path.rpartition("/")[2]
        staged = await self._packages.stage(record, filename, chunks, upload.claimed, length)
        try:
            control = await self._packages.inspect(staged, read_control)
            wanted = upload.architecture
            if wanted is not None and wanted != control.architecture:
                raise BadRequest(
                    f"the package is for architecture {control.architecture!r}, the upload "
                    f"says {wanted!r} (deb.architecture): nothing was stored"
                )
            existing = await to_thread.run_sync(self._meta.packages.file, record.key, upload.path)
        except BaseException:
            await self._packages.discard([staged])
            raise
        published = await self._published(actor, record, control, staged, upload.path, existing)
        entries = [
            DebEntry(record.key, distribution, component, upload.path, control.architecture)
            for distribution in upload.distributions
            for component in upload.components
        ]
        await to_thread.run_sync(self._meta.deb.add, entries)
        # Every distribution that lists the file: other bytes at its path change them all.
        listed = await to_thread.run_sync(self._meta.deb.entries, record.key, upload.path)
        for distribution in sorted({e.distribution for e in listed}):
            await self._indexes.publish(record.key, distribution)
        return Uploaded(published, control, entries)

    async def _published(
        self,
        actor: Actor,
        record: RepositoryRecord,
        control: Control,
        staged: Staged,
        path: str,
        existing: PackageFile | None,
    ) -> PackageFile:
        """The package file at ``path`` once it holds the staged bytes: published, or there
        already (the same bytes uploaded again, or by a client racing this one)."""
        if existing is None or existing.file.digest != str(staged.digest):
            version = await self._packages.version(record.key, control.package, control.version)
            if version is None:
                version = PackageVersion(
                    record.key,
                    control.package,
                    control.version,
                    self._clock(),
                    actor.name,
                    None,
                    json.dumps({"package": control.package}),
                )
            new = NewFile(staged, None, control.text.encode(), path)
            try:
                (published,) = await self._packages.publish(actor, record, version, [new])
                return published
            except Conflict:
                existing = await to_thread.run_sync(self._meta.packages.file, record.key, path)
                if existing is None or existing.file.digest != str(staged.digest):
                    raise
        else:
            await self._packages.discard([staged])
        return existing


def _checked(upload: DebUpload) -> None:
    check_path(upload.path)
    if not upload.path.startswith(POOL) or not upload.path.endswith(SUFFIXES):
        raise BadRequest(
            f"packages are uploaded into the pool: PUT /deb/REPOSITORY/pool/.../NAME.deb, "
            f"not {upload.path[:200]!r}"
        )
    for what, names in (
        ("distribution", upload.distributions),
        ("component", upload.components),
    ):
        if not names:
            raise BadRequest(
                f"say which {what} the package goes in: ;deb.{what}=NAME on the path "
                f"(--{what} with the CLI)"
            )
        for name in names:
            if not NAME.fullmatch(name):
                raise BadRequest(
                    f"{what} {name[:70]!r} is not a name apt takes: lower-case letters, "
                    "digits, '.', '_' and '-', 64 at most"
                )
        if len(names) > MAX_LISTED:
            raise BadRequest(f"a package goes in {MAX_LISTED} {what}s at most at once")
    if upload.architecture is not None and not ARCHITECTURE.fullmatch(upload.architecture):
        raise BadRequest(f"architecture {upload.architecture[:70]!r} is not one dpkg knows")
    if len(upload.path.rpartition("/")[2]) > MAX_FILENAME:
        raise BadRequest(f"a package's file name is {MAX_FILENAME} characters at most")


__all__ = ["FORMAT", "DebUpload", "DebUploads", "Uploaded"]
