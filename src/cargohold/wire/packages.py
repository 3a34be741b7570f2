"""Package versions (PyPI, npm) and their promotion on the wire."""

from __future__ import annotations

from typing import Annotated

from cargohold.wire.base import UNSET, Body, Meta, Timestamp, UnsetType, Wire, described
from cargohold.wire.generic import HexDigest
from cargohold.wire.lifecycle import Message, Promotion, PropertyValues


class PackageSummary(Wire, frozen=True):
    name: Annotated[str, Meta(examples=["requests", "@team/ui"])]


class PackageFileInfo(Wire, frozen=True):
    filename: Annotated[str, Meta(examples=["six-1.16.0-py2.py3-none-any.whl"])]
    path: Annotated[str, described("Where the file is in the repository's tree.")]
    size: int
    sha256: HexDigest
    created: Timestamp
    created_by: str


class PackageVersionInfo(Wire, frozen=True):
    version: str
    created: Timestamp
    created_by: str
    yanked: Annotated[
        str | None,
        described("PyPI's yank reason or npm's deprecation message; null while it is fine."),
    ]
    tags: Annotated[list[str], described("The npm dist-tags pointing at the version.")]
    files: list[PackageFileInfo]
    properties: dict[str, list[str]]


class PackageVersions(Wire, frozen=True):
    repository: str
    format: str
    name: str
    versions: list[PackageVersionInfo]


class Yank(Body, frozen=True):
    reason: Annotated[str, described("Why (PyPI's yank reason, npm's deprecation message).")] = ""


class Yanked(Wire, frozen=True):
    repository: str
    name: str
    version: str
    yanked: str | None


class PackagesDeleted(Wire, frozen=True):
    repository: str
    name: str
    versions: list[str]


class PackagePromotion(Body, frozen=True):
    target_repo: str
    name: Annotated[str, Meta(examples=["requests", "@team/ui"])]
    version: Annotated[str, Meta(examples=["2.32.3"])]
    copy: Annotated[bool, described("false moves the version (needs delete on the source).")] = True
    dry_run: bool = False
    properties: PropertyValues | UnsetType = UNSET
    comment: str | UnsetType = UNSET


class PackagePromotionResult(Wire, frozen=True):
    source_repo: str
    target_repo: str
    name: str
    version: str
    copy: bool
    dry_run: bool
    files: list[PackageFileInfo]
    promotions: list[Promotion]
    messages: list[Message]


__all__ = [
    "PackageFileInfo",
    "PackagePromotion",
    "PackagePromotionResult",
    "PackageSummary",
    "PackageVersionInfo",
    "PackageVersions",
    "PackagesDeleted",
    "Yank",
    "Yanked",
]
