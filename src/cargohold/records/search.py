"""What a search asks for and what it finds."""

from __future__ import annotations

from dataclasses import dataclass, field

from cargohold.records.artifacts import FILE, IMAGE, KINDS

TYPES = KINDS


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    """What every item found must match (all of it). Times are seconds since the epoch;
    ``*_after`` is inclusive, ``*_before`` exclusive."""

    repositories: tuple[str, ...] | None = None  # None: every repository
    name: str | None = None  # glob: ``*`` any run of characters (``/`` too), ``?`` one
    tag: str | None = None
    digest: str | None = None
    properties: tuple[tuple[str, str], ...] = ()  # (key, value): every pair must be present
    created_after: float | None = None
    created_before: float | None = None
    modified_after: float | None = None
    modified_before: float | None = None
    types: tuple[str, ...] = TYPES


@dataclass(frozen=True, slots=True)
class SearchPosition:
    """Where a page ended: the key of its last item."""

    repository: str
    name: str
    digest: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """An image (``name`` is the image, e.g. ``team/app``; ``modified`` the latest of its
    push and of a tag set on it) or a generic file (``name`` is its path)."""

    type: str
    repository: str
    name: str
    digest: str
    size: int
    created: float
    modified: float
    tags: tuple[str, ...] = ()
    properties: dict[str, list[str]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def position(self) -> SearchPosition:
        return SearchPosition(self.repository, self.name, self.digest)


__all__ = ["FILE", "IMAGE", "TYPES", "SearchCriteria", "SearchHit", "SearchPosition"]
