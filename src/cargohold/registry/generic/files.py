"""Generic repositories: any file at any path, its bytes in the content-addressed blob store
(the same content is stored once, whatever its paths and repositories), the path in the
metadata (``generic_files``), with its sha256, sha1 and md5 and its properties.

Reading needs ``read`` (or anonymous read on the repository), deploying ``write`` and, to
replace an existing file, ``delete`` too; deleting needs ``delete``.

A file that would take the repository or the instance over its quota is refused before its
bytes are read when its length is known (Content-Length), again before they are committed,
and in the transaction that places it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BadRequest,
    BlobUnknown,
    Denied,
    RepositoryInvalid,
    ResourceUnknown,
    StorageFull,
)
from cargohold.core.paths import check_path
from cargohold.core.properties import Values, validate
from cargohold.meta.effects import Effects, merged
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import FILE, BlobInfo
from cargohold.records.generic import FolderEntry, GenericFileRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.consequences import Consequences
from cargohold.registry.events.emitter import Happened
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.generic.receiving import receive, refuse_mismatch
from cargohold.registry.housekeeping.discard import discard_upload, discarded
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.quotas.limits import Quotas
from cargohold.registry.repositories import Repositories
from cargohold.storage.base import BlobStore

FORMAT = "generic"
MAX_CHILDREN = 10_000


@dataclass(frozen=True, slots=True)
class Deployed:
    file: GenericFileRecord
    replaced: GenericFileRecord | None

    @property
    def created(self) -> bool:
        return self.replaced is None


@dataclass(frozen=True, slots=True)
class Listing:
    repository: str
    folder: str
    children: list[FolderEntry]
    truncated: bool


def checksums_of(record: GenericFileRecord) -> Checksums:
    return Checksums(Digest.parse(record.digest).hex, record.sha1, record.md5)


class GenericFiles:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        clock: Callable[[], float],
        consequences: Consequences,
        claims: BlobClaims,
        quotas: Quotas | None = None,
    ) -> None:
        self._store = store
        self._claims = claims
        self._quotas = quotas or Quotas(meta)
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._clock = clock
        self._audit = consequences.audit
        self._events = consequences.events
        self._scans = consequences.scans
        self._jobs = consequences.jobs
        self._downloads = consequences.downloads

    async def repository(self, key: str) -> RepositoryRecord:
        """The generic repository ``key``; RepositoryUnknown or RepositoryInvalid else."""
        record = await self._repositories.get(key)
        if record.format != FORMAT:
            raise RepositoryInvalid(
                f"repository {key!r} holds {record.format}, not generic files; create a "
                f"generic one with `cargohold repo create KEY --format generic`",
                {"repository": key},
            )
        return record

    async def allowed(
        self, principal: Principal | None, key: str, action: Action
    ) -> RepositoryRecord:
        record = await self.repository(key)
        self._access.check(principal, record, action)
        return record

    # --- reading ------------------------------------------------------------------------

    async def find(self, principal: Principal | None, key: str, path: str) -> GenericFileRecord:
        """The file at ``path``; ResourceUnknown when there is none."""
        await self.allowed(principal, key, Action.READ)
        check_path(path)
        found = await to_thread.run_sync(self._meta.generic.get, key, path)
        if found is None:
            raise ResourceUnknown(f"no file {path!r} in repository {key!r}", {"path": path})
        return found

    async def lookup(
        self, principal: Principal | None, key: str, path: str
    ) -> GenericFileRecord | None:
        """The file at ``path`` to download, or None (it may be a folder); PolicyViolation
        when a policy watching the repository blocks its content."""
        await self.allowed(principal, key, Action.READ)
        check_path(path, folder=True)
        if not path:
            return None
        found = await to_thread.run_sync(self._meta.generic.get, key, path)
        if found is not None:
            await self._downloads.check_download(key, found.digest)
        return found

    async def blob(self, record: GenericFileRecord) -> BlobInfo:
        """Where the file's bytes are; BlobUnknown, before any byte is sent, when they are
        missing from storage."""
        digest = Digest.parse(record.digest)
        path = self._store.local_path(digest)
        if path is None and await self._store.size(digest) is None:
            raise BlobUnknown(
                f"the content of {record.repository}/{record.path} ({digest}) is missing "
                "from storage",
                {"digest": str(digest)},
            )
        return BlobInfo(digest, record.size, path)

    async def listing(
        self, principal: Principal | None, key: str, folder: str, limit: int = MAX_CHILDREN
    ) -> Listing:
        """The folder's direct children by name; ResourceUnknown unless it is a folder (the
        root always is)."""
        await self.allowed(principal, key, Action.READ)
        check_path(folder, folder=True)
        children = await to_thread.run_sync(self._meta.generic.children, key, folder, limit + 1)
        if not children and folder:
            raise ResourceUnknown(f"no folder {folder!r} in repository {key!r}", {"path": folder})
        shown = sorted(children[:limit], key=lambda entry: entry.name)
        return Listing(key, folder, shown, len(children) > limit)

    async def page(
        self, principal: Principal | None, key: str, prefix: str, after: str | None, limit: int
    ) -> list[GenericFileRecord]:
        """Files whose path starts with ``prefix``, by path: ``limit`` after ``after``."""
        await self.allowed(principal, key, Action.READ)
        return await to_thread.run_sync(self._meta.generic.page, key, prefix, after, limit)

    # --- deploying ----------------------------------------------------------------------

    async def _may_deploy(
        self, principal: Principal | None, key: str, path: str, properties: Mapping[str, object]
    ) -> tuple[bool, Values]:
        """Raise unless ``principal`` may write ``path``; whether it may overwrite, and the
        properties checked. Refuses before the first byte is read."""
        repository = await self.allowed(principal, key, Action.WRITE)
        check_path(path)
        values = validate(properties)
        may_overwrite = self._access.allows(principal, repository, Action.DELETE)
        if may_overwrite:
            return may_overwrite, values
        if await to_thread.run_sync(self._meta.generic.get, key, path) is not None:
            raise Denied(
                f"{key}/{path} exists; overwriting a file needs the delete permission on "
                f"repository {key!r}",
                {"repository": key, "action": "delete"},
            )
        return may_overwrite, values

    async def deploy(
        self,
        actor: Actor,
        key: str,
        path: str,
        chunks: AsyncIterable[bytes],
        claimed: Checksums,
        properties: Mapping[str, object],
        length: int | None = None,
    ) -> Deployed:
        """Store the bytes at ``path``; the checksums computed while they stream in must be
        those ``claimed`` (Conflict otherwise, with nothing stored). With their ``length``
        known, a file that would exceed a quota is refused before they are read."""
        principal = actor.principal
        may_overwrite, values = await self._may_deploy(principal, key, path, properties)
        repository = await self.repository(key)
        received = await receive(
            self._store,
            self._meta,
            self._quotas,
            self._claims,
            repository,
            path,
            chunks,
            claimed,
            length,
        )
        upload_id = received.upload_id
        try:
            now = self._clock()
            record = GenericFileRecord(
                key,
                path,
                str(received.digest),
                received.size,
                received.checksums.sha1 or "",
                received.checksums.md5 or "",
                now,
                now,
                actor.name,
            )
            effects = await self._pushed(actor, record, values)
            replaced = await to_thread.run_sync(
                lambda: self._meta.generic.put(
                    record,
                    values,
                    may_overwrite=may_overwrite,
                    upload_id=upload_id,
                    effects=effects,
                    claimed=True,
                )
            )
        except StorageFull as exc:
            await discard_upload(self._store, self._meta, upload_id)
            raise discarded(exc, f"send {path!r} again") from exc
        except BaseException:
            await discard_upload(self._store, self._meta, upload_id)
            raise
        self._jobs.committed(effects)
        return Deployed(record, replaced)

    async def deploy_by_checksum(
        self,
        actor: Actor,
        key: str,
        path: str,
        claimed: Checksums,
        properties: Mapping[str, object],
    ) -> Deployed:
        """Put content already stored at ``path`` without sending it again: the content must
        be a file in a generic repository the caller may read (BlobUnknown otherwise)."""
        if claimed.sha256 is None:
            raise BadRequest("deploy by checksum needs the content's X-Checksum-Sha256")
        principal = actor.principal
        may_overwrite, values = await self._may_deploy(principal, key, path, properties)
        readable = [
            r.key
            for r in await self._repositories.all()
            if r.format == FORMAT and self._access.allows(principal, r, Action.READ)
        ]
        digest = Digest("sha256", claimed.sha256)
        holder = await to_thread.run_sync(self._meta.generic.holder, str(digest), readable)
        if holder is not None:
            await self._claims.claim(digest)
        if holder is None or await self._store.size(digest) is None:
            raise BlobUnknown(
                f"no content with sha256 {claimed.sha256} is stored where you may read it; "
                "deploy the file with its bytes",
                {"digest": str(digest)},
            )
        refuse_mismatch(key, path, claimed, checksums_of(holder), ("sha1", "md5"))
        now = self._clock()
        record = GenericFileRecord(
            key,
            path,
            holder.digest,
            holder.size,
            holder.sha1,
            holder.md5,
            now,
            now,
            actor.name,
        )
        effects = await self._pushed(actor, record, values)
        replaced = await to_thread.run_sync(
            lambda: self._meta.generic.put(
                record, values, may_overwrite=may_overwrite, effects=effects, claimed=True
            )
        )
        self._jobs.committed(effects)
        return Deployed(record, replaced)

    # --- deleting -----------------------------------------------------------------------

    async def delete(self, actor: Actor, key: str, path: str) -> list[GenericFileRecord]:
        """Delete the file at ``path``, or every file of the folder ``path``, with their
        properties; the bytes stay until garbage collection finds nothing else needs them."""
        await self.allowed(actor.principal, key, Action.DELETE)
        check_path(path)
        audit = self._audit.entry(actor, "file.delete", f"{key}/{path}", status=204, repository=key)
        announce = await self._events.announcer("delete", key)

        def effects_of(gone: list[GenericFileRecord]) -> Effects:
            return audit + merged(
                [announce(r.path, file_event_data(r, actor), actor.name) for r in gone]
            )

        gone = await to_thread.run_sync(self._meta.generic.delete, key, path, effects_of)
        if not gone:
            raise ResourceUnknown(f"no file or folder {path!r} in repository {key!r}")
        self._jobs.committed(effects_of(gone))
        return gone

    # --- events -------------------------------------------------------------------------

    async def _pushed(self, actor: Actor, record: GenericFileRecord, properties: Values) -> Effects:
        """What a deploy commits with the file: its audit record, its event, its scan."""
        key = record.repository
        where = f"{key}/{record.path}"
        return (
            self._audit.entry(actor, "file.deploy", where, status=201, repository=key)
            + await self._events.effects(
                [
                    Happened(
                        "push",
                        key,
                        record.path,
                        file_event_data(record, actor, properties=properties),
                        actor.name,
                    )
                ]
            )
            + self._scans.requested(record.digest, FILE, where)
        )


def file_event_data(record: GenericFileRecord, actor: Actor, **extra: object) -> dict[str, object]:
    """What the events of generic files ("push", "delete", "promote") say of a file."""
    return {
        "repository": record.repository,
        "path": record.path,
        "digest": record.digest,
        "size": record.size,
        "sha1": record.sha1,
        "md5": record.md5,
        "principal": actor.name,
        **extra,
    }


__all__ = ["FORMAT", "Deployed", "GenericFiles", "Listing", "checksums_of", "file_event_data"]
