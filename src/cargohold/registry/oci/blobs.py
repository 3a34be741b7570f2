"""Blobs: reading what a repository holds, uploads, cross-repository mounts, deletion.

A completed upload, a mount, a cancelled upload and a delete commit their audit record with
the change. An upload the storage has no room for is discarded at once (its bytes freed):
the client starts it again once space is freed.

Before a blob is served, its bytes are checked to be in storage (a blob the metadata knows
but storage lost is refused before any byte is sent, or before a client is sent to fetch it
elsewhere). In an object store that check is a request of its own, so its answer is
remembered until the metadata changes: cargohold removes stored bytes only together with a
metadata write, which moves the change marker.

A push that would take the repository or the instance over its quota is refused (DENIED)
before its bytes are read when its size is known up front (``admit``), before an upload is
committed, and in the transaction that links the blob: the refused upload is cancelled.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BlobNotFound,
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    ChunkOutOfOrder,
    DigestInvalid,
    DigestMismatch,
    QuotaExceeded,
    RegistryError,
    SizeInvalid,
    SizeMismatch,
    StorageFull,
    UploadNotFound,
    UploadOffsetMismatch,
)
from cargohold.core.names import ImageName
from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import BlobInfo
from cargohold.registry.cache import ChangeAwareCache
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.housekeeping.discard import discard_upload, discarded
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Action
from cargohold.registry.oci.images import ImageAccess
from cargohold.registry.quotas.limits import Quotas
from cargohold.storage.base import BlobRedirects, BlobStore


class Blobs:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        audit: AuditLog,
        images: ImageAccess,
        claims: BlobClaims,
        redirects: BlobRedirects | None = None,
        redirect_expiry: int = 300,
        quotas: Quotas | None = None,
    ) -> None:
        self._store = store
        self._claims = claims
        self._quotas = quotas or Quotas(meta)
        self._meta = meta
        self._audit = audit
        self._images = images
        self._redirects = redirects
        self._redirect_expiry = redirect_expiry
        self._links: ChangeAwareCache[tuple[str, str, Digest], int | None] = ChangeAwareCache(
            meta.changes.read, name="blob_links"
        )
        self._stored: ChangeAwareCache[Digest, bool] = ChangeAwareCache(
            meta.changes.read, name="blobs_stored"
        )

    # --- reading ------------------------------------------------------------------------

    async def linked_size(self, name: ImageName, digest: Digest) -> int | None:
        async def load() -> int | None:
            return await to_thread.run_sync(
                self._meta.blobs.linked_size, name.repository, name.image, str(digest)
            )

        return await self._links.get((name.repository, name.image, digest), load)

    async def locate(self, digest: Digest, size: int) -> BlobInfo:
        """Where a blob the caller may read (it is linked, of ``size``) is."""
        path = self._store.local_path(digest)
        if path is None and not await self._in_storage(digest):
            # Known to the metadata but gone from storage: say so before any byte is sent.
            raise BlobUnknown(f"blob {digest} is missing from storage", {"digest": str(digest)})
        return BlobInfo(digest, size, path)

    async def _in_storage(self, digest: Digest) -> bool:
        async def load() -> bool:
            return await self._store.size(digest) is not None

        return await self._stored.get(digest, load)

    async def redirect(self, info: BlobInfo) -> str | None:
        """Where the caller may fetch a blob it may read, for a short while: a
        presigned URL of the object store when the operator turned redirects on; None when
        the server sends the bytes itself."""
        if self._redirects is None:
            return None
        return await self._redirects.presigned_url(info.digest, self._redirect_expiry)

    async def read(self, info: BlobInfo, offset: int, length: int) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._store.read(info.digest, offset, length):
                yield chunk
        except BlobNotFound as exc:
            raise BlobUnknown(f"blob {info.digest} is missing from storage") from exc

    async def delete(self, actor: Actor, name: ImageName, digest: Digest) -> None:
        await self._images.check(actor.principal, name, Action.DELETE)
        effects = self._audit.entry(
            actor, "blob.delete", f"{name}@{digest}", status=202, repository=name.repository
        )
        removed = await to_thread.run_sync(
            self._meta.blobs.unlink, name.repository, name.image, str(digest), effects
        )
        if not removed:
            raise BlobUnknown(f"blob {digest} is not in {name}", {"digest": str(digest)})

    async def mount(self, actor: Actor, name: ImageName, digest: Digest, source: str) -> bool:
        """Link a blob ``source`` holds into ``name``; False when the caller may not read
        ``source`` or it does not hold the blob (the client then uploads it)."""
        await self._images.check(actor.principal, name, Action.WRITE)
        try:
            source_name = ImageName.parse(source)
            await self._images.check(actor.principal, source_name, Action.READ)
        except RegistryError:
            return False
        size = await self.linked_size(source_name, digest)
        if size is None:
            return False
        await self._claims.claim(digest)
        if await self._store.size(digest) is None:
            return False
        effects = self._pushed(actor, name, digest)
        # False: garbage-collected meanwhile; the client uploads the blob instead.
        return await self._link(name, digest, size, None, effects)

    async def _link(
        self,
        name: ImageName,
        digest: Digest,
        size: int,
        upload_id: str | None = None,
        effects: Effects = NO_EFFECTS,
    ) -> bool:
        """Link a blob this request claimed; False when it was garbage-collected since;
        QuotaExceeded when it would exceed a quota."""
        return await to_thread.run_sync(
            lambda: self._meta.blobs.link(
                name.repository,
                name.image,
                str(digest),
                size,
                upload_id,
                effects,
                claimed=True,
            )
        )

    def _pushed(self, actor: Actor, name: ImageName, digest: Digest) -> Effects:
        return self._audit.entry(
            actor, "blob.push", f"{name}@{digest}", status=201, repository=name.repository
        )

    # --- uploads ------------------------------------------------------------------------

    async def admit(
        self,
        actor: Actor,
        name: ImageName,
        adding: int,
        digest: Digest | None = None,
        upload_id: str | None = None,
        offset: int | None = None,
    ) -> None:
        """Refuse (QuotaExceeded), before its bytes are read, a push of ``adding`` bytes (the
        blob ``digest``, if known; the continuation of ``upload_id`` at ``offset``, or at its
        end) that would take the repository or the instance over its quota."""
        repository = await self._images.check(actor.principal, name, Action.WRITE)
        if not self._quotas.applies(repository):
            return
        if upload_id is None:
            await self._quotas.admit(repository, None if digest is None else str(digest), adding)
            return
        held = await self.upload_size(actor, name, upload_id)  # and that it is the caller's
        held = held if offset is None else offset
        try:
            await self._quotas.admit(
                repository, None if digest is None else str(digest), held + adding
            )
        except QuotaExceeded:
            await discard_upload(self._store, self._meta, upload_id)
            raise

    async def start_upload(self, actor: Actor, name: ImageName) -> str:
        await self._images.check(actor.principal, name, Action.WRITE)
        upload_id = await self._store.start_upload()
        try:
            await to_thread.run_sync(
                self._meta.blobs.start_upload, upload_id, name.repository, name.image
            )
        except BaseException:
            await discard_upload(self._store, self._meta, upload_id)
            raise
        return upload_id

    async def _check_owner(self, actor: Actor, name: ImageName, upload_id: str) -> None:
        """An upload is continued, looked at or ended by whoever may push to its image."""
        await self._images.check(actor.principal, name, Action.WRITE)
        owner = await to_thread.run_sync(self._meta.blobs.upload_owner, upload_id[:64])
        if owner != (name.repository, name.image):
            raise BlobUploadUnknown(
                f"upload {upload_id[:64]!r} is unknown to {name}: it was never started here, "
                "or it was completed or cancelled",
                {"upload": upload_id[:64]},
            )

    async def append(
        self,
        actor: Actor,
        name: ImageName,
        upload_id: str,
        chunks: AsyncIterable[bytes],
        offset: int | None = None,
    ) -> int:
        await self._check_owner(actor, name, upload_id)
        try:
            return await self._store.append(upload_id, chunks, offset)
        except UploadOffsetMismatch as exc:
            raise ChunkOutOfOrder(
                f"chunk starts at byte {exc.got}, but the upload has {exc.expected} bytes; "
                "ask GET on the upload URL for the range received and continue from there",
                {"expected": exc.expected},
            ) from exc
        except UploadNotFound as exc:
            raise BlobUploadUnknown(f"upload {upload_id!r} is gone") from exc
        except StorageFull as exc:
            raise await self._discard(name, upload_id, exc) from exc

    async def _discard(self, name: ImageName, upload_id: str, exc: StorageFull) -> StorageFull:
        """Free the bytes of an upload the storage had no room for, at once."""
        await discard_upload(self._store, self._meta, upload_id)
        return discarded(exc, f"start it again (POST /v2/{name}/blobs/uploads/)")

    async def upload_size(self, actor: Actor, name: ImageName, upload_id: str) -> int:
        await self._check_owner(actor, name, upload_id)
        try:
            return await self._store.upload_size(upload_id)
        except UploadNotFound as exc:
            raise BlobUploadUnknown(f"upload {upload_id!r} is gone") from exc

    async def complete(
        self,
        actor: Actor,
        name: ImageName,
        upload_id: str,
        digest: Digest,
        size: int | None = None,
    ) -> int:
        await self._check_owner(actor, name, upload_id)
        try:
            await self._admit_upload(actor, name, upload_id, digest)
        except QuotaExceeded:
            await discard_upload(self._store, self._meta, upload_id)
            raise
        await self._claims.claim(digest)
        try:
            stored = await self._store.commit(upload_id, digest, size)
        except DigestMismatch as exc:
            await to_thread.run_sync(self._meta.blobs.end_upload, upload_id)
            raise DigestInvalid(
                f"uploaded content does not match digest {digest}: it hashes to {exc.actual}; "
                "the upload was discarded, start it again",
                {"digest": str(digest)},
            ) from exc
        except SizeMismatch as exc:
            await to_thread.run_sync(self._meta.blobs.end_upload, upload_id)
            raise SizeInvalid(str(exc)) from exc
        except UploadNotFound as exc:
            raise BlobUploadUnknown(f"upload {upload_id!r} is gone") from exc
        except StorageFull as exc:
            raise await self._discard(name, upload_id, exc) from exc
        effects = self._pushed(actor, name, digest)
        try:
            linked = await self._link(name, digest, stored, upload_id, effects)
        except StorageFull as exc:  # the database's disk: the session ends all the same
            raise await self._discard(name, upload_id, exc) from exc
        except QuotaExceeded:
            # A racing push took the room: the upload ends unlinked. Its bytes, committed
            # as a blob nothing links, are garbage collection's to remove once the grace
            # period has passed.
            await to_thread.run_sync(self._meta.blobs.end_upload, upload_id)
            raise
        if not linked:
            await to_thread.run_sync(self._meta.blobs.end_upload, upload_id)
            raise BlobUploadInvalid(
                f"blob {digest} was deleted by garbage collection as the upload completed; "
                "upload it again",
                {"digest": str(digest)},
            )
        return stored

    async def _admit_upload(
        self, actor: Actor, name: ImageName, upload_id: str, digest: Digest
    ) -> None:
        """The quota check of a whole upload about to be committed."""
        repository = await self._images.check(actor.principal, name, Action.WRITE)
        if self._quotas.applies(repository):
            try:
                size = await self._store.upload_size(upload_id)
            except UploadNotFound:
                return  # committing it says so
            await self._quotas.admit(repository, str(digest), size)

    async def cancel(self, actor: Actor, name: ImageName, upload_id: str) -> None:
        await self._check_owner(actor, name, upload_id)
        with contextlib.suppress(UploadNotFound):
            await self._store.cancel(upload_id)
        effects = self._audit.entry(
            actor, "upload.cancel", str(name), status=204, repository=name.repository
        )
        await to_thread.run_sync(self._meta.blobs.end_upload, upload_id, effects)

    async def stored_size(self, digest: Digest) -> int | None:
        return await self._store.size(digest)

    async def link_cached(self, name: ImageName, digest: Digest, size: int) -> bool:
        """Link a blob whose bytes are stored to ``name``, for a remote repository whose
        upstream holds it there; False when it was garbage-collected meanwhile."""
        await self._claims.claim(digest)
        if await self._store.size(digest) is None:
            return False
        return await self._link(name, digest, size)

    async def put_small(self, name: ImageName, digest: Digest, data: bytes) -> None:
        """Store and link content that is already in memory (the empty JSON config)."""
        while True:  # bytes in memory can be stored again if collected meanwhile
            await self._claims.claim(digest)
            await self._store.put(digest, data)
            if await self._link(name, digest, len(data)):
                return


__all__ = ["Blobs"]
