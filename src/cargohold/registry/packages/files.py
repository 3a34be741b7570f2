"""Package versions and their files, for every package format (``records/packages.py``).

An upload is taken in two steps, so that a format can read what a file says of itself
before anything is visible: ``stage`` streams the bytes into the blob store (checked against
the checksums the client claimed, under the repository's quota, claimed against the
collector), then ``publish`` makes the version and its files visible in one transaction, with
their audit record, event and scan request. A staged file that is never published is only a
blob nothing holds: the collector takes it after its grace period.

Reading needs ``read`` (or anonymous read), publishing ``write``, yanking, dist-tags and
deprecation ``write``, deleting ``delete``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BlobUnknown,
    RepositoryInvalid,
    ResourceUnknown,
)
from cargohold.core.properties import Values, package_subject
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import FILE, BlobInfo
from cargohold.records.generic import GenericFileRecord
from cargohold.records.packages import (
    DistTag,
    PackageFile,
    PackageSettings,
    PackageVersion,
    package_path,
)
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache
from cargohold.registry.consequences import Consequences
from cargohold.registry.events.emitter import Happened
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.generic.receiving import receive
from cargohold.registry.housekeeping.discard import discard_upload
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.quotas.limits import Quotas
from cargohold.registry.repositories import Repositories
from cargohold.storage.base import BlobStore

T = TypeVar("T")
CACHED_NAMES = 10_000  # packages whose versions, files and tags each cache keeps
DEFAULTS = PackageSettings()
PACKAGE_FORMATS = ("pypi", "npm", "deb", "maven")


@dataclass(frozen=True, slots=True)
class Staged:
    """An uploaded file's bytes, stored and claimed, not yet part of any repository."""

    repository: str
    filename: str
    digest: Digest
    size: int
    checksums: Checksums  # sha256, sha1 and md5 of the bytes
    upload_id: str | None  # None: the bytes were stored otherwise (a remote repository's fetch)


@dataclass(frozen=True, slots=True)
class NewFile:
    """A staged file as a file of the version being published."""

    staged: Staged
    requires_python: str | None = None
    core_metadata: bytes | None = None
    # where in the repository's tree the file goes: NAME/VERSION/FILENAME unless the format
    # keeps files where its clients put them (Debian's pool/...)
    path: str | None = None


def settings_of(repository: RepositoryRecord) -> PackageSettings:
    return repository.packages or DEFAULTS


class PackageFiles:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        clock: Callable[[], float],
        consequences: Consequences,
        claims: BlobClaims,
        quotas: Quotas,
    ) -> None:
        self._store = store
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._clock = clock
        self._audit = consequences.audit
        self._events = consequences.events
        self._scans = consequences.scans
        self._jobs = consequences.jobs
        self._downloads = consequences.downloads
        self._claims = claims
        self._quotas = quotas
        # What indexes and packuments are made of, read by every install: kept in memory
        # until the next write to the database, by any process (meta.changes).
        marker = meta.changes.read
        self._versions: ChangeAwareCache[tuple[str, str], list[PackageVersion]] = ChangeAwareCache(
            marker, CACHED_NAMES, name="package_versions"
        )
        self._files: ChangeAwareCache[tuple[str, str, str | None], list[PackageFile]] = (
            ChangeAwareCache(marker, CACHED_NAMES, name="package_files")
        )
        self._tags: ChangeAwareCache[tuple[str, str], list[DistTag]] = ChangeAwareCache(
            marker, CACHED_NAMES, name="package_tags"
        )

    async def repository(self, key: str, format: str) -> RepositoryRecord:
        """Repository ``key``, which must hold ``format`` packages."""
        record = await self._repositories.get(key)
        if record.format != format:
            raise RepositoryInvalid(
                f"repository {key!r} holds {record.format}, not {format} packages; create one "
                f"with `cargohold repo create KEY --format {format}`",
                {"repository": key},
            )
        return record

    async def allowed(
        self, principal: Principal | None, key: str, format: str, action: Action
    ) -> RepositoryRecord:
        record = await self.repository(key, format)
        self._access.check(principal, record, action)
        return record

    async def any_allowed(
        self, principal: Principal | None, key: str, action: Action
    ) -> RepositoryRecord:
        """Repository ``key``, which must hold packages of some format, once ``principal``
        may ``action`` it."""
        record = await self._repositories.get(key)
        if record.format not in PACKAGE_FORMATS:
            raise RepositoryInvalid(
                f"repository {key!r} holds {record.format}, not packages (formats: "
                + ", ".join(PACKAGE_FORMATS)
                + ")",
                {"repository": key},
            )
        self._access.check(principal, record, action)
        return record

    def allows(
        self, principal: Principal | None, repository: RepositoryRecord, action: Action
    ) -> bool:
        return self._access.allows(principal, repository, action)

    # --- reading ------------------------------------------------------------------------

    async def names(
        self, key: str, after: str | None = None, limit: int | None = None
    ) -> list[str]:
        return await to_thread.run_sync(self._meta.packages.names, key, after, limit)

    async def holders(self, keys: Sequence[str], name: str) -> list[str]:
        return await to_thread.run_sync(self._meta.packages.holders, keys, name)

    async def versions(self, key: str, name: str) -> list[PackageVersion]:
        async def load() -> list[PackageVersion]:
            return await to_thread.run_sync(self._meta.packages.versions, key, name)

        return list(await self._versions.get((key, name), load))

    async def version(self, key: str, name: str, version: str) -> PackageVersion | None:
        return await to_thread.run_sync(self._meta.packages.version, key, name, version)

    async def files(self, key: str, name: str, version: str | None = None) -> list[PackageFile]:
        async def load() -> list[PackageFile]:
            return await to_thread.run_sync(self._meta.packages.files, key, name, version)

        return list(await self._files.get((key, name, version), load))

    async def properties(self, key: str, name: str, version: str) -> Values:
        return await to_thread.run_sync(
            self._meta.properties.get, key, package_subject(name, version)
        )

    async def tags(self, key: str, name: str) -> list[DistTag]:
        async def load() -> list[DistTag]:
            return await to_thread.run_sync(self._meta.packages.tags, key, name)

        return list(await self._tags.get((key, name), load))

    async def find(self, principal: Principal | None, key: str, path: str) -> PackageFile:
        """The package file at ``path`` (``NAME/VERSION/FILENAME``) of a package repository
        the caller may read; ResourceUnknown when there is none."""
        await self.any_allowed(principal, key, Action.READ)
        found = await to_thread.run_sync(self._meta.packages.file, key, path)
        if found is None:
            raise ResourceUnknown(
                f"no package file {path!r} in repository {key!r} (package files are at "
                "NAME/VERSION/FILENAME)",
                {"path": path},
            )
        return found

    async def download(self, key: str, name: str, version: str, filename: str) -> PackageFile:
        """The file to send (the caller checked ``read``); ResourceUnknown when there is none,
        PolicyViolation when a policy watching the repository blocks its content."""
        path = package_path(name, version, filename)
        found = await to_thread.run_sync(self._meta.packages.file, key, path)
        if found is None:
            raise ResourceUnknown(
                f"no file {filename!r} of {name} {version} in repository {key!r}",
                {"filename": filename},
            )
        await self._downloads.check_download(key, found.file.digest)
        return found

    async def check_download(self, key: str, digest: Digest) -> None:
        """PolicyViolation when a policy watching repository ``key`` blocks ``digest`` (a
        file on its way in from an upstream, streamed before it is a package file)."""
        await self._downloads.check_download(key, str(digest))

    async def blob(self, record: GenericFileRecord) -> BlobInfo:
        """Where a file's bytes are; BlobUnknown, before any byte is sent, when missing."""
        digest = Digest.parse(record.digest)
        path = self._store.local_path(digest)
        if path is None and await self._store.size(digest) is None:
            raise BlobUnknown(
                f"the content of {record.repository}/{record.path} ({digest}) is missing "
                "from storage",
                {"digest": str(digest)},
            )
        return BlobInfo(digest, record.size, path)

    # --- uploading ----------------------------------------------------------------------

    async def stage(
        self,
        repository: RepositoryRecord,
        filename: str,
        chunks: AsyncIterable[bytes],
        claimed: Checksums,
        length: int | None = None,
    ) -> Staged:
        """Store the bytes of one file (the caller checked ``write``); Conflict, with nothing
        stored, when they do not have the ``claimed`` checksums; QuotaExceeded over a quota
        (before they are read when ``length`` is known)."""
        received = await receive(
            self._store,
            self._meta,
            self._quotas,
            self._claims,
            repository,
            filename,
            chunks,
            claimed,
            length,
        )
        return Staged(
            repository.key,
            filename,
            received.digest,
            received.size,
            received.checksums,
            received.upload_id,
        )

    async def discard(self, staged: Sequence[Staged]) -> None:
        """Forget uploads that will not be published (their blobs go to the collector)."""
        for one in staged:
            if one.upload_id is not None:
                await discard_upload(self._store, self._meta, one.upload_id)

    async def inspect(self, staged: Staged, read: Callable[[str], T]) -> T:
        """``read`` (run off the event loop) of a local file holding the staged bytes."""
        return await self._read_local(staged.digest, read)

    async def inspect_stored(self, found: PackageFile, read: Callable[[str], T]) -> T:
        """``read`` (run off the event loop) of a local file holding a published file's
        bytes (the caller checked ``read`` or ``write``)."""
        return await self._read_local(Digest.parse(found.file.digest), read)

    async def _read_local(self, digest: Digest, read: Callable[[str], T]) -> T:
        local = self._store.local_path(digest)
        if local is not None:
            return await to_thread.run_sync(read, local)
        async with self._spooled(digest) as spooled:
            return await to_thread.run_sync(read, spooled)

    @contextlib.asynccontextmanager
    async def _spooled(self, digest: Digest) -> AsyncIterator[str]:
        handle, name = tempfile.mkstemp(prefix="cargohold-package-")
        try:
            with os.fdopen(handle, "wb") as out:
                async for chunk in self._store.read(digest):
                    await to_thread.run_sync(out.write, chunk)
            yield name
        finally:
            os.unlink(name)

    async def publish(
        self,
        actor: Actor,
        repository: RepositoryRecord,
        version: PackageVersion,
        files: Sequence[NewFile],
        *,
        new_version: bool = False,
        tags: Mapping[str, str] | None = None,
        overwrite: bool | None = None,
    ) -> list[PackageFile]:
        """Make ``version`` with ``files`` visible in one step (see PackageQueries.publish);
        the files as published. ``overwrite``: whether files that exist may be replaced
        (None: as the repository's settings say; Maven snapshot builds always may)."""
        now = self._clock()
        published = [
            PackageFile(
                GenericFileRecord(
                    repository.key,
                    new.path or package_path(version.name, version.version, new.staged.filename),
                    str(new.staged.digest),
                    new.staged.size,
                    new.staged.checksums.sha1 or "",
                    new.staged.checksums.md5 or "",
                    now,
                    now,
                    actor.name,
                ),
                version.name,
                version.version,
                new.staged.filename,
                new.requires_python,
                new.core_metadata,
                None
                if new.core_metadata is None
                else hashlib.sha256(new.core_metadata).hexdigest(),
            )
            for new in files
        ]
        effects = await self._published(actor, repository.format, version, published)
        try:
            await to_thread.run_sync(
                lambda: self._meta.packages.publish(
                    version,
                    published,
                    overwrite=settings_of(repository).overwrite if overwrite is None else overwrite,
                    new_version=new_version,
                    tags=tags,
                    upload_ids=[
                        n.staged.upload_id for n in files if n.staged.upload_id is not None
                    ],
                    effects=effects,
                    claimed=True,
                )
            )
        except BaseException:
            await self.discard([new.staged for new in files])
            raise
        self._jobs.committed(effects)
        return published

    async def _published(
        self, actor: Actor, format: str, version: PackageVersion, files: Sequence[PackageFile]
    ) -> Effects:
        key = version.repository
        where = f"{key}/{version.name}@{version.version}"
        effects = self._audit.entry(actor, "package.publish", where, status=201, repository=key)
        effects += await self._events.effects(
            [
                Happened(
                    "push",
                    key,
                    f"{version.name}@{version.version}",
                    package_event_data(format, version, files, actor),
                    actor.name,
                )
            ]
        )
        for one in files:
            effects += self._scans.requested(one.file.digest, FILE, f"{key}/{one.file.path}")
        return effects


def package_event_data(
    format: str, version: PackageVersion, files: Sequence[PackageFile], actor: Actor
) -> dict[str, object]:
    """What the events of package versions ("push", "promote") say of one."""
    return {
        "repository": version.repository,
        "format": format,
        "name": version.name,
        "version": version.version,
        "files": [
            {
                "filename": f.filename,
                "path": f.file.path,
                "digest": f.file.digest,
                "size": f.file.size,
            }
            for f in files
        ],
        "principal": actor.name,
    }


__all__ = [
    "PACKAGE_FORMATS",
    "NewFile",
    "PackageFiles",
    "Staged",
    "package_event_data",
    "settings_of",
]
