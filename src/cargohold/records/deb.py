"""Debian repositories as values: where a package file is listed, and one listed file."""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.records.packages import PackageFile

ALL = "all"  # the architecture of a package that runs on every one


@dataclass(frozen=True, slots=True)
class DebEntry:
    """A package file listed in ``distribution``/``component`` for ``architecture``."""

    repository: str
    distribution: str
    component: str
    path: str
    architecture: str


@dataclass(frozen=True, slots=True)
class Listed:
    """A package file as its distribution's indexes list it: its bytes and its control
    paragraph (``file.core_metadata``)."""

    entry: DebEntry
    file: PackageFile


__all__ = ["ALL", "DebEntry", "Listed"]
