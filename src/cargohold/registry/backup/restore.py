"""``cargohold restore``: an instance rebuilt from a backup, every blob verified.

Every blob the backup's database records is uploaded to the new instance's blob store, which
checks its digest (and size) before publishing it; the database goes in place last, once
every blob is there, so a restore that fails leaves no instance that would serve without its
bytes. A blob missing from the backup or corrupt in it fails the restore, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import BackupFailed, BlobNotFound, DigestMismatch, SizeMismatch
from cargohold.meta.backup.snapshot import copy_queries, install, restorable
from cargohold.records.backup import Contents, RecordedBlob
from cargohold.registry.backup.copying import (
    Damage,
    Progress,
    copy_blob,
    damage,
    each_page,
)
from cargohold.registry.backup.layout import blobs_of, database_of, read_manifest
from cargohold.storage.base import BlobStore
from cargohold.storage.filesystem import FilesystemBlobStore


@dataclass(frozen=True, slots=True)
class RestoreReport:
    taken_at: str  # when the backup's database was copied, as its manifest says
    revision: str | None
    contents: Contents
    blobs: int  # blobs restored, and their bytes
    bytes: int


async def restore(
    backup: Path, database_url: str, target: BlobStore, progress: Progress | None = None
) -> RestoreReport:
    """Restore the backup at ``backup`` into the database ``database_url`` (an SQLite file
    that must not exist) and the blob store ``target``."""
    manifest = read_manifest(backup)
    restorable(database_url)
    source = FilesystemBlobStore(blobs_of(backup))
    problems: list[Damage] = []
    blobs = size_of_all = 0

    async def one(blob: RecordedBlob) -> None:
        nonlocal blobs, size_of_all
        try:
            size = await copy_blob(
                source, target, Digest.parse(blob.digest), blob.size if blob.held else None
            )
        except BlobNotFound:
            problems.append(Damage(blob.digest, "missing from the backup"))
            return
        except (DigestMismatch, SizeMismatch) as exc:
            problems.append(damage(blob.digest, exc))
            return
        blobs += 1
        size_of_all += size

    def report() -> None:
        if progress is not None:
            progress(blobs, size_of_all)

    with copy_queries(database_of(backup)) as queries:
        await each_page(queries.recorded, one, report)
        if problems:
            named = "\n".join(f"  {problem}" for problem in sorted(problems, key=str))
            raise BackupFailed(
                f"the backup {backup} is damaged: {len(problems)} blobs are missing or "
                f"corrupt (under {blobs_of(backup)}):\n{named}\n"
                "the database was not restored; restore an older backup, or take a new one"
            )
        contents = await to_thread.run_sync(queries.contents)
        revision = await to_thread.run_sync(queries.revision)
    await to_thread.run_sync(install, database_of(backup), database_url)
    return RestoreReport(str(manifest.get("takenAt", "?")), revision, contents, blobs, size_of_all)


__all__ = ["RestoreReport", "restore"]
