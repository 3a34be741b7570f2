"""Generic files as values: a file by path, a folder entry, a file promoted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GenericFileRecord:
    repository: str
    path: str
    digest: str  # sha256:<hex>
    size: int
    sha1: str
    md5: str
    created_at: float
    updated_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """One child of a folder: a subfolder (``file`` None) or a file."""

    name: str
    file: GenericFileRecord | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """A file copied or moved to ``target.path``; ``replaced`` what was there before."""

    source: GenericFileRecord
    target: GenericFileRecord
    replaced: GenericFileRecord | None


__all__ = ["FolderEntry", "GenericFileRecord", "Transfer"]
