"""Lifecycle as values: promotion records and plans, builds and their statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cargohold.core.properties import Values


@dataclass(frozen=True, slots=True)
class PromotionRecord:
    id: str
    time: float
    principal: str
    token_id: str | None
    kind: str  # docker, generic, build
    source_repository: str
    target_repository: str
    source: str
    target: str
    digest: str | None
    tags: tuple[str, ...]
    copy: bool
    dry_run: bool
    comment: str
    properties: dict[str, list[str]]
    status: int
    result: str
    message: str


@dataclass(frozen=True, slots=True)
class BuildRecord:
    name: str
    number: str
    started: float
    url: str
    document: dict[str, Any] = field(hash=False, compare=False)
    created_at: float = 0.0
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class BuildStatusRecord:
    time: float
    status: str
    comment: str
    repository: str
    principal: str


@dataclass(frozen=True, slots=True)
class BuildArtifact:
    """One artifact of a build: an image digest (with its tag, if the build names one) or a
    generic file, and the repository it is promoted to."""

    type: str  # docker, generic
    repository: str
    name: str  # image name, or file path
    digest: str
    tag: str | None
    target_repository: str

    def __str__(self) -> str:
        if self.type == "generic":
            return f"file {self.repository}/{self.name} ({self.digest})"
        tag = f":{self.tag}" if self.tag is not None else ""
        return f"image {self.repository}/{self.name}{tag}@{self.digest}"


@dataclass(frozen=True, slots=True)
class BuildPromotion:
    """Everything a build promotion changes, decided and checked by the registry layer except
    what only the transaction can tell: that every artifact is still there."""

    artifacts: tuple[BuildArtifact, ...]
    move: bool
    immutable: frozenset[str]  # target repositories whose tags (and files) never change
    may_overwrite: frozenset[str]  # target repositories whose files the caller may replace
    properties: Values
    status: BuildStatusRecord
    records: tuple[PromotionRecord, ...]
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class BuildPosition:
    """Where a page of builds ended (newest first)."""

    started: float
    name: str
    number: str


@dataclass(frozen=True, slots=True)
class ImageCopy:
    """What one promotion of one image changes."""

    source_repository: str
    source_name: str
    target_repository: str
    target_name: str
    tags: tuple[tuple[str, str, str], ...]  # (source tag, target tag, digest)
    top: tuple[str, ...]  # the digests promoted by tag (or every manifest of the image)
    move: bool
    immutable_target: bool
    properties: dict[str, list[str]] = field(default_factory=dict)


__all__ = [
    "BuildArtifact",
    "BuildPosition",
    "BuildPromotion",
    "BuildRecord",
    "BuildStatusRecord",
    "ImageCopy",
    "PromotionRecord",
]
