"""Receiving one file's bytes into the blob store, for every kind of file a repository keeps
(generic files, package files): streamed in batches, hashed on the way (sha256, sha1, md5),
checked against the checksums the client claimed, admitted under the repository's quota
before and after, claimed against the collector, and committed; discarded on any failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace

from anyio import to_thread

from cargohold.core.checksums import Checksums, MultiHasher
from cargohold.core.digest import Digest
from cargohold.core.errors import Conflict, DigestMismatch, StorageFull
from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.housekeeping.discard import discard_upload, discarded
from cargohold.registry.quotas.limits import Quotas
from cargohold.storage.base import WRITE_BATCH, BlobStore

INLINE_HASH = 64 * 1024  # smaller batches are hashed on the event loop


@dataclass(frozen=True, slots=True)
class Received:
    """A file's bytes, stored and claimed against the collector; its upload session still
    open until the write that places the file ends it (or ``discard_upload``)."""

    upload_id: str
    digest: Digest
    size: int
    checksums: Checksums  # sha256, sha1 and md5 of the bytes


async def receive(
    store: BlobStore,
    meta: MetadataStore,
    quotas: Quotas,
    claims: BlobClaims,
    repository: RepositoryRecord,
    name: str,
    chunks: AsyncIterable[bytes],
    claimed: Checksums,
    length: int | None = None,
) -> Received:
    """Stream one file's bytes (``name`` in messages) into the blob store for ``repository``:
    refused over its quota (before they are read when their ``length`` is known, again
    before they are committed), and with Conflict, nothing stored, unless they have the
    ``claimed`` checksums. On any failure the upload is discarded."""
    key = repository.key
    claimed_digest = None if claimed.sha256 is None else f"sha256:{claimed.sha256}"
    if length is not None:
        await quotas.admit(repository, claimed_digest, length, name)
    upload_id = await store.start_upload()
    try:
        await to_thread.run_sync(meta.blobs.start_upload, upload_id, key, "")
        # A claimed sha256 is checked by the blob store, which computes it anyway.
        hasher = MultiHasher(sha256=claimed.sha256 is None)
        size = await store.append(upload_id, hashed(chunks, hasher))
        actual = hasher.result()
        refuse_mismatch(key, name, claimed, actual, ("sha1", "md5"))
        digest = Digest("sha256", claimed.sha256 or actual.sha256 or "")
        await quotas.admit(repository, str(digest), size, name)
        await claims.claim(digest)
        try:
            await store.commit(upload_id, digest, size)
        except DigestMismatch as exc:
            computed = replace(actual, sha256=exc.actual.partition(":")[2])
            refuse_mismatch(key, name, claimed, computed, ("sha256",))
            raise
    except StorageFull as exc:
        await discard_upload(store, meta, upload_id)
        raise discarded(exc, f"send {name!r} again") from exc
    except BaseException:
        await discard_upload(store, meta, upload_id)
        raise
    return Received(upload_id, digest, size, replace(actual, sha256=digest.hex))


def refuse_mismatch(
    key: str, path: str, claimed: Checksums, actual: Checksums, algorithms: tuple[str, ...]
) -> None:
    """Conflict (Artifactory answers 409) unless the claimed checksums are the actual ones."""
    wrong = [a for a in claimed.mismatches(actual) if a in algorithms]
    if wrong:
        raise Conflict(
            f"checksum mismatch for {key}/{path}: the content's "
            + ", ".join(f"{a} is {getattr(actual, a)}, not {getattr(claimed, a)}" for a in wrong)
            + "; nothing was stored",
            {"checksums": wrong},
        )


async def hashed(chunks: AsyncIterable[bytes], hasher: MultiHasher) -> AsyncIterator[bytes]:
    """``chunks`` in batches of about a MiB, each hashed (off the event loop when large)
    before it is passed on."""
    batch: list[bytes] = []
    pending = 0
    async for chunk in chunks:
        batch.append(chunk)
        pending += len(chunk)
        if pending >= WRITE_BATCH:
            data = b"".join(batch)
            batch, pending = [], 0
            await to_thread.run_sync(hasher.update, data)
            yield data
    if pending:
        data = b"".join(batch)
        if pending > INLINE_HASH:
            await to_thread.run_sync(hasher.update, data)
        else:
            hasher.update(data)
        yield data


__all__ = ["Received", "hashed", "receive", "refuse_mismatch"]
