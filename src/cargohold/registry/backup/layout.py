"""What a backup directory holds, the one place it is written down::

    <backup>/backup.json                   the manifest: when, schema revision, what it holds
    <backup>/cargohold.db                  the metadata: an SQLite database, one file
    <backup>/storage/blobs/<alg>/<hh>/<hex>  every blob that database records, by digest

It is a data directory's own layout (``cargohold.db`` and ``storage/``), so ``cargohold
verify --data-dir <backup>`` checks a backup as it checks a live instance. The database and
the manifest are replaced last, each by a rename, so a backup that stops half way leaves the
previous one whole (with some more blobs); the blobs of a backup are never removed, so a
second backup to the same directory copies only the blobs the first did not have.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cargohold.core.errors import BackupFailed
from cargohold.core.times import rfc3339
from cargohold.records.backup import Contents

FORMAT = 1
MANIFEST = "backup.json"
DATABASE = "cargohold.db"
BLOBS = "storage"


@dataclass(frozen=True, slots=True)
class BackupManifest:
    taken_at: float  # when the database was copied: Unix time
    finished_at: float
    revision: str | None  # the schema revision of the database
    contents: Contents
    copied: int  # blobs this run copied, and their bytes
    copied_bytes: int
    skipped: int  # blobs the backup had already, and their bytes
    skipped_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "takenAt": rfc3339(self.taken_at, "seconds"),
            "takenAtUnix": self.taken_at,
            "finishedAt": rfc3339(self.finished_at, "seconds"),
            "schemaRevision": self.revision,
            "contents": self.contents.to_json(),
            "copied": {"blobs": self.copied, "bytes": self.copied_bytes},
            "skipped": {"blobs": self.skipped, "bytes": self.skipped_bytes},
        }


def database_of(backup: Path) -> Path:
    return backup / DATABASE


def blobs_of(backup: Path) -> Path:
    return backup / BLOBS


def write_manifest(backup: Path, manifest: BackupManifest) -> None:
    partial = backup / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    partial.rename(backup / MANIFEST)


def read_manifest(backup: Path) -> dict[str, Any]:
    """The manifest of the backup at ``backup``, checked to be one this version reads."""
    path = backup / MANIFEST
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BackupFailed(f"{backup} is not a cargohold backup: it has no {MANIFEST}") from exc
    except (OSError, ValueError) as exc:
        raise BackupFailed(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupFailed(f"{path} is not a backup manifest of format {FORMAT}")
    if not database_of(backup).is_file():
        raise BackupFailed(f"{backup} is not a whole backup: it has no {DATABASE}")
    return document


__all__ = [
    "BLOBS",
    "DATABASE",
    "FORMAT",
    "MANIFEST",
    "BackupManifest",
    "blobs_of",
    "database_of",
    "read_manifest",
    "write_manifest",
]
