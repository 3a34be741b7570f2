"""``cargohold backup``: an online backup of the embedded instance while it serves.

First the database, copied in one read transaction (``meta.backup.snapshot``); then every
blob that copy records, read through the BlobStore interface from the live store, skipping
those the backup already has (so a second backup copies only the new ones).

Why every blob the copy holds is still in the store when its turn comes: it was held (a
manifest or a file referred to it) when the copy was taken; anything that stops holding it
later touches its row, and the garbage collector deletes only a blob untouched for the whole
grace period (``gc_grace_seconds``, one hour by default). So for a grace period after the
copy, every blob it holds stays in the store. A backup that takes longer and meets a held
blob gone says so, and a new run makes a whole backup. Blobs the copy records that nothing
held (a push half way, a deleted image within its grace period) may be collected meanwhile:
those found gone are forgotten by the copy, which then records only blobs the backup holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import BackupFailed, BlobNotFound, DigestMismatch, SizeMismatch
from cargohold.meta.backup.queries import BackupQueries
from cargohold.meta.backup.snapshot import copy_queries, snapshot
from cargohold.records.backup import RecordedBlob
from cargohold.registry.backup.copying import (
    Damage,
    Progress,
    copy_blob,
    damage,
    each_page,
)
from cargohold.registry.backup.layout import (
    DATABASE,
    BackupManifest,
    blobs_of,
    database_of,
    write_manifest,
)
from cargohold.storage.base import BlobReader
from cargohold.storage.filesystem import PRIVATE_DIRECTORY, FilesystemBlobStore


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The database copied into the backup, not yet in place: ``taken_at`` is when."""

    database: Path
    taken_at: float


@dataclass
class _Tally:
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0
    skipped_bytes: int = 0
    gone: list[str] = field(default_factory=list)  # unheld blobs collected before their copy
    problems: list[Damage] = field(default_factory=list)


class BackupRun:
    """One backup of the instance whose database is ``database_url`` and blobs ``store``
    into the directory ``destination`` (made if needed; a previous backup there is reused)."""

    def __init__(
        self,
        database_url: str,
        store: BlobReader,
        destination: Path,
        *,
        grace: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = database_url
        self._store = store
        self._destination = destination
        self._grace = grace
        self._clock = clock

    def snapshot(self) -> Snapshot:
        """Copy the database (a fraction of a second for most instances)."""
        self._destination.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY)
        copy = self._destination / f"{DATABASE}.partial"
        taken_at = self._clock()
        snapshot(self._url, copy)
        return Snapshot(copy, taken_at)

    async def complete(self, taken: Snapshot, progress: Progress | None = None) -> BackupManifest:
        """Copy the blobs the snapshot records, then put the snapshot and the manifest in
        place. Raises BackupFailed naming every held blob that could not be copied (the
        previous backup in the directory, if any, stays whole)."""
        target = FilesystemBlobStore(blobs_of(self._destination))
        tally = _Tally()
        try:
            with copy_queries(taken.database) as queries:
                await self._copy_all(queries, target, tally, progress)
                if tally.problems:
                    raise BackupFailed(self._failure(taken, tally.problems))
                await to_thread.run_sync(queries.forget, tally.gone)
                contents = await to_thread.run_sync(queries.contents)
                revision = await to_thread.run_sync(queries.revision)
        except BaseException:
            taken.database.unlink(missing_ok=True)
            raise
        manifest = BackupManifest(
            taken_at=taken.taken_at,
            finished_at=self._clock(),
            revision=revision,
            contents=contents,
            copied=tally.copied,
            copied_bytes=tally.copied_bytes,
            skipped=tally.skipped,
            skipped_bytes=tally.skipped_bytes,
        )
        taken.database.rename(database_of(self._destination))
        write_manifest(self._destination, manifest)
        return manifest

    async def run(self, progress: Progress | None = None) -> BackupManifest:
        return await self.complete(await to_thread.run_sync(self.snapshot), progress)

    async def _copy_all(
        self,
        queries: BackupQueries,
        target: FilesystemBlobStore,
        tally: _Tally,
        progress: Progress | None,
    ) -> None:
        problems, gone = tally.problems, tally.gone

        async def one(blob: RecordedBlob) -> None:
            digest = Digest.parse(blob.digest)
            have = await target.size(digest)
            if have is not None and (have == blob.size or not blob.held):
                tally.skipped += 1
                tally.skipped_bytes += have
                return
            try:
                size = await copy_blob(
                    self._store, target, digest, blob.size if blob.held else None
                )
            except BlobNotFound:
                if blob.held:
                    problems.append(
                        Damage(blob.digest, "held by the metadata, gone from the store")
                    )
                else:
                    gone.append(blob.digest)
                return
            except (DigestMismatch, SizeMismatch) as exc:
                problems.append(damage(blob.digest, exc))
                return
            tally.copied += 1  # one event loop: no await between read and write
            tally.copied_bytes += size

        def report() -> None:
            if progress is not None:
                progress(tally.copied + tally.skipped, tally.copied_bytes + tally.skipped_bytes)

        await each_page(queries.recorded, one, report)

    def _failure(self, taken: Snapshot, problems: list[Damage]) -> str:
        elapsed = self._clock() - taken.taken_at
        named = "\n".join(f"  {problem}" for problem in sorted(problems, key=str))
        if elapsed > self._grace:
            why = (
                f"the backup took {elapsed:.0f} s, longer than the garbage collection grace "
                f"period ({self._grace:g} s), so a collection may have deleted blobs released "
                "after the database was copied: run the backup again, or raise "
                "gc_grace_seconds above the time a backup takes"
            )
        else:
            why = "the blob store is damaged: cargohold verify lists every such blob"
        return f"backup incomplete, {len(problems)} blobs could not be copied:\n{named}\n{why}"


__all__ = ["BackupRun", "Snapshot"]
