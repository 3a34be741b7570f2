"""``cargohold verify``: every blob the metadata holds is in the blob store and hashes right.

Works on whatever the instance is configured with (SQLite and files, PostgreSQL and S3),
while it serves: a blob found missing is checked again against the metadata, and counts only
if something still holds it (a collection may have deleted it after its holder went).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from anyio import to_thread

from cargohold.core.errors import BlobNotFound
from cargohold.meta.store import MetadataStore
from cargohold.records.backup import RecordedBlob
from cargohold.registry.backup.copying import Damage, Progress, check_blob, each_page
from cargohold.storage.base import BlobReader


@dataclass
class VerifyReport:
    checked: int = 0  # held blobs read and hashed, and their bytes
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


async def verify(
    meta: MetadataStore, store: BlobReader, progress: Progress | None = None
) -> VerifyReport:
    report = VerifyReport()
    gone: list[str] = []

    async def one(blob: RecordedBlob) -> None:
        try:
            found = await check_blob(store, blob)
        except BlobNotFound:
            gone.append(blob.digest)
            return
        report.checked += 1
        report.bytes += blob.size
        if found is not None:
            report.corrupt.append(found)

    def tell() -> None:
        if progress is not None:
            progress(report.checked, report.bytes)

    held = functools.partial(meta.backups.recorded, held_only=True)
    await each_page(held, one, tell)
    if gone:
        report.missing = sorted(await to_thread.run_sync(meta.backups.still_held, gone))
    report.corrupt.sort(key=str)
    return report


__all__ = ["VerifyReport", "verify"]
