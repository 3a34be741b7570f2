"""Retention as values: policies and their rules, what the metadata knows about one image
(its tags, manifests and what protects them), and what a run removes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One rule of a policy. A tag rule (``tags`` set) removes the tags matching ``tags``
    that are beyond the ``keep_last`` newest of them and/or older than ``older_than_days``
    and/or unused for ``unused_days`` (several set: only those that are all); an untagged
    rule (``untagged_days`` set) removes manifests no tag points to, pushed more than that
    many days ago.

    Unused for ``unused_days`` (what a cache of an upstream wants: what nobody pulled for a
    month goes): a manifest is used when it is pulled (by tag or by digest, GET or HEAD;
    recorded to within an hour), when it is pushed or first cached from its upstream, and
    when a manifest it lists (a platform's image in a multi-platform index) is; a tag is
    used when its manifest is and when it was last pushed. A rule with ``unused_days`` also
    removes the manifests no remaining tag points to that are unused for as long: those the
    tags it removes leave untagged, and those only ever pulled by digest. A tag its pattern
    does not match keeps its manifest, used or not."""

    tags: str | None = None
    keep_last: int | None = None
    older_than_days: int | None = None
    untagged_days: int | None = None
    unused_days: int | None = None

    @property
    def text(self) -> str:
        """How a run names the rule: ``keepLast=5 tags=*``, ``unusedDays=30 tags=*``,
        ``untaggedOlderThanDays=7``."""
        if self.untagged_days is not None:
            return f"untaggedOlderThanDays={self.untagged_days}"
        parts = []
        if self.keep_last is not None:
            parts.append(f"keepLast={self.keep_last}")
        if self.older_than_days is not None:
            parts.append(f"olderThanDays={self.older_than_days}")
        if self.unused_days is not None:
            parts.append(f"unusedDays={self.unused_days}")
        return " ".join([*parts, f"tags={self.tags}"])


@dataclass(frozen=True, slots=True)
class RetentionPolicyRecord:
    id: str
    name: str
    description: str
    repositories: tuple[str, ...]  # keys or patterns
    images: str | None  # a pattern of image names; None: every image
    rules: tuple[RetentionRule, ...]
    enabled: bool
    created_at: float = 0.0
    updated_at: float = 0.0
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class TagFact:
    tag: str
    digest: str
    updated_at: float  # when it was last pushed


@dataclass(frozen=True, slots=True)
class ManifestFact:
    digest: str
    created_at: float  # when it was first pushed
    subject: str | None  # the manifest it refers to (a signature's, an SBOM's)
    children: tuple[str, ...]  # the manifests it lists (an index's), among this image's
    pulled_at: float | None = None  # when it was last pulled (to within an hour); None: never


@dataclass(frozen=True, slots=True)
class Holds:
    """What keeps an image's tags and manifests, whatever a policy says (one place, so a new
    kind of hold is one more field here and one more query in ``meta/retention``)."""

    immutable: bool = False  # the repository has immutable tags: nothing goes
    promoted: frozenset[str] = frozenset()  # digests promoted here recently
    protected_digests: frozenset[str] = frozenset()  # retention.protect=true on the image
    protected_tags: frozenset[str] = frozenset()  # retention.protect=true on the tag
    # Held by a bundle: bundles do not exist yet. When they do, the digests a bundle holds
    # in this image are read with the others (meta/retention/inventory.py) into a field
    # here, and ``registry/retention/planning.py`` names it among the holds.


@dataclass(frozen=True, slots=True)
class ImageInventory:
    """Everything a policy decides on for one image: its tags, its manifests, its holds."""

    repository: str
    name: str
    tags: tuple[TagFact, ...]
    manifests: tuple[ManifestFact, ...]
    holds: Holds


@dataclass(frozen=True, slots=True)
class Removal:
    """One tag (``tag`` set) or untagged manifest a run removes, and why."""

    repository: str
    name: str
    digest: str
    tag: str | None
    policy: str
    rule: str


__all__ = [
    "Holds",
    "ImageInventory",
    "ManifestFact",
    "Removal",
    "RetentionPolicyRecord",
    "RetentionRule",
    "TagFact",
]
